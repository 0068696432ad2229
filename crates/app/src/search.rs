//! One search box over counterparties and contacts, within the actor's reach.
//!
//! The query is read by `prospekt_domain::search`; candidates come from storage through
//! indexes, filtered by the actor's scope; the domain scores them and the best are kept.
//!
//! Name queries run in rounds — exact words, then word beginnings, then inner parts and
//! typos — and stop as soon as a round yields enough hits. Each lookup returns at most
//! [`MAX_CANDIDATES`] records in index order, so without rounds a common prefix could fill
//! the candidates and push an exactly named client out of sight. Typo candidates are looked
//! up in the vocabulary only when the first rounds did not find enough.

use std::collections::HashMap;

use prospekt_domain::search::{
    Candidate, Expansion, HitKind, Query, is_number, max_typos, parse_query, rank_order, score,
};
use prospekt_storage::repo::Scope;
use prospekt_storage::repo::search::{
    self as repo, IdentifierLookup, MAX_CANDIDATES, SearchRow, VocabularyWord, is_portfolio,
};
use uuid::Uuid;

use crate::{Actor, App, AppError};

/// Hits returned when the caller does not say.
pub const DEFAULT_LIMIT: i64 = 20;
/// The most hits one search returns.
pub const MAX_LIMIT: i64 = 200;

/// Vocabulary words fetched per query word and kind of lookup (prefix, inner part, typo).
const VOCABULARY_LIMIT: i64 = 64;

/// One search result.
#[derive(Debug, Clone)]
pub struct SearchHit {
    pub kind: HitKind,
    pub id: Uuid,
    /// The counterparty itself, or the contact's counterparty (the card to open).
    pub counterparty_id: Uuid,
    pub name: String,
    /// For a contact: its counterparty's name.
    pub counterparty_name: Option<String>,
    pub inn: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub city: Option<String>,
    /// Higher is better; identifiers (1000 exact INN … 400 phone prefix) above names (≤ ~115).
    pub score: u32,
}

/// Candidates collected across lookups, scored once, one entry per record.
struct Found<'q> {
    query: &'q Query,
    hits: HashMap<(HitKind, Uuid), (u32, SearchRow)>,
}

impl<'q> Found<'q> {
    fn new(query: &'q Query) -> Self {
        Found {
            query,
            hits: HashMap::new(),
        }
    }

    fn add(&mut self, rows: Vec<SearchRow>) {
        for row in rows {
            let kind = row.hit_kind();
            let candidate = Candidate {
                kind,
                name: &row.name,
                inn: row.inn.as_deref(),
                ogrn: row.ogrn.as_deref(),
                phone: row.phone.as_deref(),
                email: row.email.as_deref(),
                archived: row.archived,
            };
            // Storage may over-fetch (LIKE finds words inside words); the ranking decides.
            if let Some(s) = score(self.query, &candidate) {
                self.hits.entry((kind, row.id)).or_insert((s, row));
            }
        }
    }

    fn count(&self, kind: HitKind) -> i64 {
        self.hits.keys().filter(|(k, _)| *k == kind).count() as i64
    }

    fn into_hits(self, limit: i64) -> Vec<SearchHit> {
        let mut hits: Vec<SearchHit> = self
            .hits
            .into_iter()
            .map(|((kind, id), (score, r))| SearchHit {
                kind,
                id,
                counterparty_id: r.counterparty_id,
                name: r.name,
                counterparty_name: r.counterparty_name,
                inn: r.inn,
                phone: r.phone,
                email: r.email,
                city: r.city,
                score,
            })
            .collect();
        hits.sort_by(|a, b| {
            rank_order((a.score, a.kind, &a.name), (b.score, b.kind, &b.name)).then_with(|| a.id.cmp(&b.id))
        });
        hits.truncate(usize::try_from(limit).unwrap_or(0));
        hits
    }
}

const KINDS: [HitKind; 2] = [HitKind::Counterparty, HitKind::Contact];

impl App {
    /// Counterparties and contacts within the actor's reach matching `q` (a name with or
    /// without typos, an INN/OGRN/phone or its beginning, an e-mail), best first, at most
    /// `limit` (clamped to 1..=[`MAX_LIMIT`]). A query shorter than two characters is refused
    /// with a field error on `q`.
    pub async fn search(&self, actor: &Actor, q: &str, limit: i64) -> Result<Vec<SearchHit>, AppError> {
        let query = parse_query(q)?;
        let limit = limit.clamp(1, MAX_LIMIT);
        let scope = self.access(actor).await?.scope;
        // Lookups walk index hits until enough are in scope. In a manager's portfolio only
        // about one hit in a hundred is, so there fewer candidates keep a common word or a
        // short prefix cheap; the rounds below still put exact words before prefixes before
        // typos. Elsewhere more candidates give the ranking more to choose from.
        let candidates = if is_portfolio(&scope) {
            limit
        } else {
            MAX_CANDIDATES.max(limit)
        };
        let mut found = Found::new(&query);
        match &query {
            Query::Identifier(id) => {
                let phones = id.phone_prefixes();
                let lookup = IdentifierLookup {
                    inn_prefix: id.inn_prefix(),
                    ogrn_prefix: id.ogrn_prefix(),
                    phone_prefixes: &phones,
                    email_prefix: None,
                };
                // Also a number that is a word of a name ("Стройресурс-2000").
                let as_word = [vec![id.digits.clone()]];
                // Four independent lookups, side by side.
                let (a, b, c, d) = tokio::try_join!(
                    repo::by_identifier(self.db(), &scope, HitKind::Counterparty, &lookup, candidates),
                    repo::by_words(self.db(), &scope, HitKind::Counterparty, &as_word, candidates),
                    repo::by_identifier(self.db(), &scope, HitKind::Contact, &lookup, candidates),
                    repo::by_words(self.db(), &scope, HitKind::Contact, &as_word, candidates),
                )?;
                for rows in [a, b, c, d] {
                    found.add(rows);
                }
            }
            Query::Email(e) => {
                let lookup = IdentifierLookup {
                    email_prefix: Some(e),
                    ..Default::default()
                };
                let (a, b) = tokio::try_join!(
                    repo::by_identifier(self.db(), &scope, HitKind::Counterparty, &lookup, candidates),
                    repo::by_identifier(self.db(), &scope, HitKind::Contact, &lookup, candidates),
                )?;
                found.add(a);
                found.add(b);
            }
            Query::Words(words) => self.search_words(words, &scope, limit, candidates, &mut found).await?,
        }
        Ok(found.into_hits(limit))
    }

    async fn search_words(
        &self,
        words: &[String],
        scope: &Scope,
        limit: i64,
        candidates: i64,
        found: &mut Found<'_>,
    ) -> Result<(), AppError> {
        // Single letters (initials) are too unselective to look up; the ranking checks them.
        let looked_up: Vec<&String> = words.iter().filter(|w| w.chars().count() >= 2).collect();
        if looked_up.is_empty() {
            return Ok(());
        }
        // Vocabulary words that may stand for each query word, per kind of record: only words
        // that occur in a table are looked up in it.
        let mut vocabulary: Vec<Vec<VocabularyWord>> = Vec::with_capacity(looked_up.len());
        for w in &looked_up {
            vocabulary.push(if is_number(w) {
                // Numbers are not in the vocabulary; as a word they must match exactly.
                KINDS.iter().map(|k| (*k, (*w).clone())).collect()
            } else {
                repo::vocabulary_prefixed(self.db(), w, VOCABULARY_LIMIT).await?
            });
        }
        let mut previous: [Option<Vec<Vec<String>>>; 2] = [None, None];
        for round in 0..=2u8 {
            if round == 2 {
                self.widen(&looked_up, &mut vocabulary).await?;
            }
            // Each kind's lookup of this round, run side by side.
            let mut asks: [Option<Vec<Vec<String>>>; 2] = [None, None];
            for (k, kind) in KINDS.into_iter().enumerate() {
                if found.count(kind) >= limit {
                    continue;
                }
                // A number constrains only the exact round: later it may also be the beginning
                // of an INN or a phone, which the ranking checks but the word index cannot.
                let groups: Vec<Vec<String>> = looked_up
                    .iter()
                    .zip(&vocabulary)
                    .filter(|(w, _)| round == 0 || !is_number(w))
                    .map(|(w, vocab)| {
                        let of_kind = vocab.iter().filter(|(vk, _)| *vk == kind).map(|(_, v)| v.clone());
                        Expansion::new(w, of_kind).for_round(round)
                    })
                    .collect();
                if groups.is_empty() || groups.iter().any(Vec::is_empty) || previous[k].as_ref() == Some(&groups) {
                    continue;
                }
                asks[k] = Some(groups);
            }
            let lookup = |k: usize| {
                let groups = asks[k].as_deref();
                async move {
                    match groups {
                        Some(g) => repo::by_words(self.db(), scope, KINDS[k], g, candidates).await,
                        None => Ok(Vec::new()),
                    }
                }
            };
            let (counterparties, contacts) = tokio::try_join!(lookup(0), lookup(1))?;
            found.add(counterparties);
            found.add(contacts);
            for (k, ask) in asks.into_iter().enumerate() {
                if ask.is_some() {
                    previous[k] = ask;
                }
            }
            if KINDS.iter().all(|k| found.count(*k) >= limit) {
                break;
            }
        }
        Ok(())
    }

    /// Adds, for each query word, vocabulary words containing it and words resembling it
    /// (typo candidates).
    async fn widen(&self, words: &[&String], vocabulary: &mut [Vec<VocabularyWord>]) -> Result<(), AppError> {
        for (w, vocab) in words.iter().zip(vocabulary.iter_mut()) {
            if is_number(w) {
                continue;
            }
            let similar = async {
                if max_typos(w.chars().count()) > 0 {
                    repo::vocabulary_similar(self.db(), w, VOCABULARY_LIMIT).await
                } else {
                    Ok(Vec::new())
                }
            };
            let (containing, similar) =
                tokio::try_join!(repo::vocabulary_containing(self.db(), w, VOCABULARY_LIMIT), similar)?;
            vocab.extend(containing);
            vocab.extend(similar);
        }
        Ok(())
    }
}
