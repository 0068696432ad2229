//! Search candidates over counterparties and contacts: found through indexes, limited in
//! number and filtered by the caller's [`Scope`]. Ranking is not done here but in
//! `prospekt_domain::search`, the same for both databases.
//!
//! Three kinds of lookup, all index-driven (migration `0003_search`):
//! - the vocabulary: indexed words that begin with, contain or resemble a query word;
//! - records by words: every query word must be present as one of the vocabulary words
//!   standing for it (AND of ORs);
//! - records by identifier or e-mail prefix.
//!
//! The dialect seam, and the only places the SQL differs:
//! - word lookups: FTS5 `MATCH` on SQLite, `search_words && ARRAY[…]` (GIN) on PostgreSQL;
//! - resembling words: FTS5 trigram OR ranked by bm25, or pg_trgm `%` ranked by similarity;
//! - prefixes: B-tree ranges on SQLite (its LIKE folds ASCII case and so skips indexes),
//!   `LIKE 'prefix%'` over `text_pattern_ops` indexes on PostgreSQL;
//! - scope filters: wrapped so that the planners start from the word or identifier index
//!   (a unary `+` on SQLite, `COALESCE(col, col)` on PostgreSQL; see `push_scope`);
//! - PostgreSQL runs record lookups without parallel workers.

use prospekt_domain::search::{HitKind, trigrams};
use uuid::Uuid;

use super::Scope;
use crate::{Db, DbError, db_run};

/// At most this many candidate records per lookup; the ranking picks the best of them.
pub const MAX_CANDIDATES: i64 = 200;

/// The trigram similarity (pg_trgm) a vocabulary word needs to be a typo candidate on
/// PostgreSQL. Low on purpose: two typos in a seven-letter word leave little in common, and
/// the final word is chosen by edit distance anyway.
const PG_SIMILARITY_THRESHOLD: &str = "0.2";

/// A candidate record: a counterparty, or a contact with its counterparty.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SearchRow {
    /// `counterparty` or `contact`.
    pub kind: String,
    pub id: Uuid,
    /// The counterparty itself, or the contact's counterparty.
    pub counterparty_id: Uuid,
    /// Short name of the counterparty, full name of the contact.
    pub name: String,
    /// For a contact: its counterparty's name.
    pub counterparty_name: Option<String>,
    /// The counterparty's (for a contact: its counterparty's) INN and OGRN.
    pub inn: Option<String>,
    pub ogrn: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub city: Option<String>,
    pub owner_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub archived: bool,
}

impl SearchRow {
    pub fn hit_kind(&self) -> HitKind {
        HitKind::parse(&self.kind).unwrap_or(HitKind::Counterparty)
    }
}

/// A vocabulary word and the kind of record it occurs in.
pub type VocabularyWord = (HitKind, String);

const COUNTERPARTY_COLUMNS: &str = "SELECT 'counterparty' AS kind, c.id, c.id AS counterparty_id, c.name, \
    CAST(NULL AS TEXT) AS counterparty_name, c.inn, c.ogrn, c.phone, c.email, c.city, c.owner_id, c.department_id, \
    c.archived_at IS NOT NULL AS archived";

const CONTACT_COLUMNS: &str = "SELECT 'contact' AS kind, ct.id, ct.counterparty_id, ct.full_name AS name, \
    p.name AS counterparty_name, p.inn, p.ogrn, ct.phone, ct.email, p.city, p.owner_id, p.department_id, \
    p.archived_at IS NOT NULL AS archived";

/// A bound value of a dynamically built query.
enum Arg {
    Text(String),
    Uuid(Uuid),
    Int(i64),
}

/// SQL text with numbered placeholders and their values, built in step.
#[derive(Default)]
struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    fn new(text: impl Into<String>) -> Self {
        Sql {
            text: text.into(),
            args: Vec::new(),
        }
    }

    /// Adds a value and returns its placeholder.
    fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }

    fn text_arg(&mut self, s: impl Into<String>) -> String {
        self.arg(Arg::Text(s.into()))
    }

    /// `AND (<dept> IN (…) OR <owner> IN (…))` for a limited scope.
    fn scope(&mut self, scope: &Scope, dept_col: &str, owner_col: &str) {
        let mut n = self.args.len();
        let ids = scope.push_filter(&mut self.text, &mut n, dept_col, owner_col);
        self.args.extend(ids.into_iter().map(Arg::Uuid));
    }

    fn limit(&mut self, limit: i64) {
        let p = self.arg(Arg::Int(limit));
        self.text.push_str(&format!(" LIMIT {p}"));
    }
}

// Search statements are not kept prepared (`persistent(false)`): PostgreSQL would switch a
// reused statement to a generic plan made without the words and prefixes, whose guessed
// selectivity can favour scanning the table until LIMIT rows turn up — fine for a common
// word, a full scan for a rare one. Planned with the actual values every time instead.

/// Binds the collected values to a query, in order.
macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Text(s) => q.bind(s),
                Arg::Uuid(u) => q.bind(u),
                Arg::Int(i) => q.bind(i),
            };
        }
        q
    }};
}

async fn fetch_rows(db: &Db, sql: Sql) -> Result<Vec<SearchRow>, DbError> {
    let Sql { text, args } = sql;
    let text = sqlx::AssertSqlSafe(text);
    match db {
        Db::Sqlite(sqlite) => {
            let pool = &sqlite.pool;
            let q = sqlx::query_as::<_, SearchRow>(text).persistent(false);
            Ok(bind_args!(q, args).fetch_all(pool).await?)
        }
        Db::Postgres(pool) => {
            // No parallel workers: starting them costs more than these small index lookups
            // take, and a parallel plan walked 5,000 contacts of a common surname to find
            // one manager's 20 in five times the serial time.
            let mut tx = pool.begin().await?;
            sqlx::query("SET LOCAL max_parallel_workers_per_gather = 0")
                .execute(&mut *tx)
                .await?;
            let q = sqlx::query_as::<_, SearchRow>(text).persistent(false);
            let rows = bind_args!(q, args).fetch_all(&mut *tx).await?;
            tx.commit().await?;
            Ok(rows)
        }
    }
}

async fn fetch_words(db: &Db, sql: Sql) -> Result<Vec<VocabularyWord>, DbError> {
    let Sql { text, args } = sql;
    let text = sqlx::AssertSqlSafe(text);
    let rows: Vec<(String, String)> = db_run!(db, pool => {
        let q = sqlx::query_as::<_, (String, String)>(text).persistent(false);
        bind_args!(q, args).fetch_all(pool).await?
    });
    Ok(rows
        .into_iter()
        .filter_map(|(word, kind)| Some((HitKind::parse(&kind)?, word)))
        .collect())
}

/// The smallest string greater than every string beginning with `prefix` (for a B-tree
/// range), or `None` if there is none. SQLite compares TEXT bytewise, and UTF-8 byte order
/// is code point order, so incrementing the last character is enough.
fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Escapes LIKE wildcards; patterns are used with `ESCAPE '\'` (PostgreSQL's default).
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A predicate "`col` begins with `prefix`" that an index on `col` can answer.
fn prefix_predicate(sql: &mut Sql, db: &Db, col: &str, prefix: &str) -> String {
    match db {
        Db::Sqlite(_) => {
            let lo = sql.text_arg(prefix);
            match prefix_upper_bound(prefix) {
                Some(hi) => {
                    let hi = sql.text_arg(hi);
                    format!("({col} >= {lo} AND {col} < {hi})")
                }
                None => format!("{col} >= {lo}"),
            }
        }
        Db::Postgres(_) => {
            let p = sql.text_arg(format!("{}%", escape_like(prefix)));
            format!("{col} LIKE {p} ESCAPE '\\'")
        }
    }
}

/// Vocabulary words beginning with `prefix`, with the kind of record each occurs in,
/// shortest first (so the word itself, if indexed, comes first).
pub async fn vocabulary_prefixed(db: &Db, prefix: &str, limit: i64) -> Result<Vec<VocabularyWord>, DbError> {
    let mut sql = Sql::new("SELECT word, kind FROM search_vocabulary WHERE ");
    let pred = prefix_predicate(&mut sql, db, "word", prefix);
    sql.text.push_str(&pred);
    sql.text.push_str(" ORDER BY length(word), word");
    sql.limit(limit);
    fetch_words(db, sql).await
}

/// Vocabulary words containing `fragment` but not beginning with it (those come from
/// [`vocabulary_prefixed`]), with their kinds of record, shortest first. The fragment needs
/// three letters: the trigram index cannot look up less.
pub async fn vocabulary_containing(db: &Db, fragment: &str, limit: i64) -> Result<Vec<VocabularyWord>, DbError> {
    if fragment.chars().count() < 3 {
        return Ok(Vec::new());
    }
    let mut sql = Sql::default();
    match db {
        Db::Sqlite(_) => {
            // A trigram "phrase" is a substring match.
            let m = sql.text_arg(fts_string(fragment));
            let prefixed = prefix_predicate(&mut sql, db, "v.word", fragment);
            sql.text = format!(
                "SELECT v.word, v.kind FROM search_vocabulary_fts f CROSS JOIN search_vocabulary v \
                 WHERE f.search_vocabulary_fts MATCH {m} AND v.id = f.rowid AND NOT ({prefixed}) \
                 ORDER BY length(v.word), v.word"
            );
        }
        Db::Postgres(_) => {
            let p = sql.text_arg(format!("%{}%", escape_like(fragment)));
            let prefixed = prefix_predicate(&mut sql, db, "word", fragment);
            sql.text = format!(
                "SELECT word, kind FROM search_vocabulary WHERE word LIKE {p} AND NOT ({prefixed}) \
                 ORDER BY length(word), word"
            );
        }
    }
    sql.limit(limit);
    fetch_words(db, sql).await
}

/// Vocabulary words sharing the most three-letter sequences with `word`, with their kinds
/// of record: the candidates for a typo. Which of them really are within the allowed edit distance is decided by the
/// caller.
pub async fn vocabulary_similar(db: &Db, word: &str, limit: i64) -> Result<Vec<VocabularyWord>, DbError> {
    let grams = trigrams(word);
    if grams.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(String, String)> = match db {
        Db::Sqlite(sqlite) => {
            let pool = &sqlite.pool;
            let expr = grams.iter().map(|g| fts_string(g)).collect::<Vec<_>>().join(" OR ");
            sqlx::query_as(
                "SELECT v.word, v.kind FROM search_vocabulary_fts f CROSS JOIN search_vocabulary v \
                 WHERE f.search_vocabulary_fts MATCH $1 AND v.id = f.rowid ORDER BY f.rank LIMIT $2",
            )
            .bind(expr)
            .bind(limit)
            .fetch_all(pool)
            .await?
        }
        Db::Postgres(pool) => {
            // `%` compares with a per-session threshold; set it on the connection the query
            // runs on (setting it again on a reused connection is harmless).
            let mut conn = pool.acquire().await?;
            sqlx::query("SELECT set_config('pg_trgm.similarity_threshold', $1, false)")
                .bind(PG_SIMILARITY_THRESHOLD)
                .execute(&mut *conn)
                .await?;
            sqlx::query_as(
                "SELECT word, kind FROM search_vocabulary WHERE word % $1 \
                 ORDER BY similarity(word, $1) DESC, word LIMIT $2",
            )
            .persistent(false)
            .bind(word)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?
        }
    };
    Ok(rows
        .into_iter()
        .filter_map(|(word, kind)| Some((HitKind::parse(&kind)?, word)))
        .collect())
}

/// An FTS5 string literal.
fn fts_string(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// An FTS5 term for one vocabulary word. The vocabulary splits `search_key` at a fixed list
/// of separators, the unicode61 tokenizer at every non-alphanumeric character; a word with
/// some other symbol inside ("а*б") becomes all of its tokens.
fn fts_word(word: &str) -> Option<String> {
    let tokens: Vec<String> = word
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(fts_string)
        .collect();
    match tokens.len() {
        0 => None,
        1 => tokens.into_iter().next(),
        _ => Some(format!("({})", tokens.join(" AND "))),
    }
}

/// Whether `scope` is a portfolio: records of a few owners (a manager and whoever they stand
/// in for), no whole department. Index hits are walked until enough fall in the scope, so in
/// a portfolio — about one record in a hundred on a large base — the caller should ask for
/// few candidates.
pub fn is_portfolio(scope: &Scope) -> bool {
    matches!(scope, Scope::Limited { departments, .. } if departments.is_empty())
}

/// The columns of a kind of record and the aliases of the record and of the row whose owner
/// and department decide the scope (`c` a counterparty; `ct` a contact, `p` its
/// counterparty). A contact carries its counterparty's owner (migration
/// `0011_portfolio_search`), so in a portfolio it is checked on its own row, before its
/// counterparty is read; a department is only on the counterparty.
fn shape(kind: HitKind, scope: &Scope) -> (&'static str, &'static str, &'static str) {
    match kind {
        HitKind::Counterparty => (COUNTERPARTY_COLUMNS, "c", "c"),
        HitKind::Contact if is_portfolio(scope) => (CONTACT_COLUMNS, "ct", "ct"),
        HitKind::Contact => (CONTACT_COLUMNS, "ct", "p"),
    }
}

/// The scope filter. Every lookup here starts from a word or identifier index and checks
/// the scope of each hit; the columns are wrapped so that the planner cannot start from the
/// department index instead (or intersect with it), which walks a whole department — 100,000
/// records on a large base — to find a few words. SQLite's idiom for "not via an index" is
/// a unary `+`; PostgreSQL's is an expression the index does not cover. PostgreSQL keeps the
/// owner index in a portfolio, where it is small and often the better start.
fn push_scope(sql: &mut Sql, db: &Db, scope: &Scope, owner_alias: &str) {
    let wrap = |col: &str| -> String {
        let col = format!("{owner_alias}.{col}");
        match db {
            Db::Sqlite(_) => format!("+{col}"),
            Db::Postgres(_) if is_portfolio(scope) => col,
            Db::Postgres(_) => format!("COALESCE({col}, {col})"),
        }
    };
    sql.scope(scope, &wrap("department_id"), &wrap("owner_id"));
}

/// Records in `scope` holding, for every group, at least one of the group's words (words as
/// the vocabulary has them). Empty if there are no groups or a group is empty.
pub async fn by_words(
    db: &Db,
    scope: &Scope,
    kind: HitKind,
    groups: &[Vec<String>],
    limit: i64,
) -> Result<Vec<SearchRow>, DbError> {
    if groups.is_empty() || groups.iter().any(Vec::is_empty) {
        return Ok(Vec::new());
    }
    let (columns, row, owner) = shape(kind, scope);
    let mut sql = Sql::default();
    match db {
        Db::Sqlite(_) => {
            let mut ands = Vec::with_capacity(groups.len());
            for g in groups {
                let ors: Vec<String> = g.iter().filter_map(|w| fts_word(w)).collect();
                if ors.is_empty() {
                    return Ok(Vec::new());
                }
                ands.push(format!("({})", ors.join(" OR ")));
            }
            let m = sql.text_arg(ands.join(" AND "));
            // CROSS JOIN keeps the word index as the outer loop.
            sql.text = match kind {
                HitKind::Counterparty => format!(
                    "{columns} FROM counterparties_fts f CROSS JOIN counterparties c \
                     WHERE f.counterparties_fts MATCH {m} AND c.rowid = f.rowid"
                ),
                HitKind::Contact => format!(
                    "{columns} FROM contacts_fts f CROSS JOIN contacts ct CROSS JOIN counterparties p \
                     WHERE f.contacts_fts MATCH {m} AND ct.rowid = f.rowid AND p.id = ct.counterparty_id"
                ),
            };
        }
        Db::Postgres(_) => {
            sql.text = match kind {
                HitKind::Counterparty => format!("{columns} FROM counterparties c WHERE 1 = 1"),
                HitKind::Contact => {
                    format!("{columns} FROM contacts ct JOIN counterparties p ON p.id = ct.counterparty_id WHERE 1 = 1")
                }
            };
            for group in groups {
                let items: Vec<String> = group.iter().map(|w| sql.text_arg(w.clone())).collect();
                sql.text.push_str(&format!(
                    " AND {row}.search_words && CAST(ARRAY[{}] AS TEXT[])",
                    items.join(", ")
                ));
            }
        }
    }
    push_scope(&mut sql, db, scope, owner);
    sql.limit(limit);
    fetch_rows(db, sql).await
}

/// What an identifier or e-mail query looks up; `None`/empty parts are skipped.
#[derive(Debug, Default, Clone)]
pub struct IdentifierLookup<'a> {
    pub inn_prefix: Option<&'a str>,
    pub ogrn_prefix: Option<&'a str>,
    /// E.164 beginnings (`+7495…`).
    pub phone_prefixes: &'a [String],
    /// Lower-case e-mail beginning.
    pub email_prefix: Option<&'a str>,
}

/// Records in `scope` whose INN, OGRN, phone or e-mail begins with what `lookup` gives
/// (contacts have only a phone and an e-mail of their own). Hits come in index order, so a
/// whole identifier comes before longer ones beginning with it.
pub async fn by_identifier(
    db: &Db,
    scope: &Scope,
    kind: HitKind,
    lookup: &IdentifierLookup<'_>,
    limit: i64,
) -> Result<Vec<SearchRow>, DbError> {
    let (columns, row, owner) = shape(kind, scope);
    let mut sql = Sql::default();
    // Each branch: its predicate, and whether an owner-leading index covers it.
    let mut ors: Vec<(String, bool)> = Vec::new();
    let counterparty = kind == HitKind::Counterparty;
    if counterparty {
        if let Some(p) = lookup.inn_prefix {
            ors.push((prefix_predicate(&mut sql, db, "c.inn", p), true));
        }
        if let Some(p) = lookup.ogrn_prefix {
            ors.push((prefix_predicate(&mut sql, db, "c.ogrn", p), false));
        }
    }
    for p in lookup.phone_prefixes {
        ors.push((prefix_predicate(&mut sql, db, &format!("{row}.phone"), p), counterparty));
    }
    if let Some(p) = lookup.email_prefix {
        ors.push((prefix_predicate(&mut sql, db, &format!("lower({row}.email)"), p), false));
    }
    if ors.is_empty() {
        return Ok(Vec::new());
    }
    let from = match kind {
        HitKind::Counterparty => "counterparties c",
        HitKind::Contact => "contacts ct JOIN counterparties p ON p.id = ct.counterparty_id",
    };
    // A manager's own clients: each branch goes with the owner test. Where an owner-leading
    // index covers the identifier (`(owner_id, inn)`, `(owner_id, phone)`) the test is left
    // plain, so the branch is one range of it instead of a walk through everyone's matching
    // identifiers; elsewhere (OGRN, e-mail) it is wrapped as in `push_scope`, so the
    // identifier's own index drives rather than a walk through the whole portfolio.
    let owners = match scope {
        Scope::Limited { departments, owners } if counterparty && departments.is_empty() => Some(owners),
        _ => None,
    };
    let ors: Vec<String> = match owners {
        None => ors.into_iter().map(|(p, _)| p).collect(),
        Some(owners) if owners.is_empty() => return Ok(Vec::new()),
        Some(owners) => ors
            .into_iter()
            .map(|(p, covered)| {
                let column = match db {
                    Db::Sqlite(_) if !covered => "+c.owner_id",
                    _ => "c.owner_id",
                };
                let list: Vec<String> = owners.iter().map(|o| sql.arg(Arg::Uuid(*o))).collect();
                format!("({p} AND {column} IN ({}))", list.join(", "))
            })
            .collect(),
    };
    // The placeholders of the predicates were numbered first, so the text is put together
    // around them.
    sql.text = format!("{columns} FROM {from} WHERE ({})", ors.join(" OR "));
    if owners.is_none() {
        push_scope(&mut sql, db, scope, owner);
    }
    sql.limit(limit);
    fetch_rows(db, sql).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_upper_bound_is_the_next_string_after_all_extensions() {
        assert_eq!(prefix_upper_bound("7707").as_deref(), Some("7708"));
        assert_eq!(prefix_upper_bound("+749").as_deref(), Some("+74:"));
        assert_eq!(prefix_upper_bound("ромашк").as_deref(), Some("ромашл"));
        assert_eq!(prefix_upper_bound("я\u{10FFFF}").as_deref(), Some("ѐ"));
        assert_eq!(prefix_upper_bound("\u{10FFFF}"), None);
        // Surrogates are not characters: the next one after U+D7FF is U+E000.
        assert_eq!(prefix_upper_bound("\u{D7FF}").as_deref(), Some("\u{E000}"));
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like("ivan_petrov%\\"), "ivan\\_petrov\\%\\\\");
    }

    #[test]
    fn vocabulary_words_become_fts5_terms() {
        assert_eq!(fts_word("ромашка").as_deref(), Some("\"ромашка\""));
        assert_eq!(fts_word("а*б").as_deref(), Some("(\"а\" AND \"б\")"));
        assert_eq!(fts_word("***"), None);
        assert_eq!(fts_string("a\"b"), "\"a\"\"b\"");
    }
}
