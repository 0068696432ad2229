//! `prospekt measure`: in-process timings for the benchmark report. Load tests measure the
//! whole request; these isolate two costs inside it: verifying a password (argon2id) and the
//! authorization policy on a point read (scope lookup including absences, and the check); and
//! the server time of the client base's everyday reads (a manager's list page, the typical
//! searches) and of the contact plan's heaviest reads (the week view and "whom to contact
//! now" of the key account manager `kam1`), without HTTP and queueing around them.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use prospekt_app::App;
use prospekt_domain::ids::CounterpartyId;
use prospekt_storage::repo::counterparties;
use prospekt_storage::{Db, DbUrl};

pub(crate) fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

pub async fn run(
    db: &str,
    reads: u32,
    logins: u32,
    prepare_orders: Option<(usize, std::path::PathBuf)>,
) -> anyhow::Result<()> {
    let url = DbUrl::parse(db)?;
    let db = Db::open(&url).await?;
    let app = App::new(db.clone());
    if let Some((count, out)) = prepare_orders {
        crate::measure_ledger::prepare_to_file(&app, &db, count, &out).await?;
        db.close().await;
        return Ok(());
    }
    // A manager with clients, and one of their clients.
    let (owner, id) = counterparties::sample_owned(&db)
        .await?
        .context("the database has no counterparty with an owner: run `prospekt demo` first")?;
    let login = prospekt_storage::repo::users::by_id(&db, owner)
        .await?
        .context("owner not found")?
        .login;

    // Login latency: the demo users' password.
    let mut times = Vec::new();
    for _ in 0..logins {
        let t = Instant::now();
        let (_, secret) = app
            .login(&login, crate::cli::DEMO_PASSWORD, None)
            .await
            .context("demo login failed")?;
        times.push(t.elapsed());
        app.logout(&secret).await?;
    }
    times.sort();
    println!(
        "login ({logins} sequential, argon2id m=19456 KiB t=2 p=1): p50 {:.1} ms, p99 {:.1} ms",
        pct(&times, 0.5),
        pct(&times, 0.99)
    );

    let (actor, _) = app.login(&login, crate::cli::DEMO_PASSWORD, None).await?;
    let cid = CounterpartyId::from_uuid(id);
    let mut plain = Vec::with_capacity(reads as usize);
    let mut guarded = Vec::with_capacity(reads as usize);
    // Interleaved so both variants see the same cache state and machine load.
    for _ in 0..reads {
        let t = Instant::now();
        let row = counterparties::by_id(&db, id).await?;
        plain.push(t.elapsed());
        if row.is_none() {
            bail!("counterparty vanished");
        }
        let t = Instant::now();
        app.counterparty(&actor, cid).await?;
        guarded.push(t.elapsed());
    }
    let per_sec = |v: &[Duration]| v.len() as f64 / v.iter().sum::<Duration>().as_secs_f64();
    let (p_rate, g_rate) = (per_sec(&plain), per_sec(&guarded));
    plain.sort();
    guarded.sort();
    println!(
        "point read without policy: {:.0}/s (p50 {:.3} ms, p99 {:.3} ms); with policy: {:.0}/s (p50 {:.3} ms, p99 {:.3} ms); overhead {:.3} ms per read",
        p_rate,
        pct(&plain, 0.5),
        pct(&plain, 0.99),
        g_rate,
        pct(&guarded, 0.5),
        pct(&guarded, 0.99),
        pct(&guarded, 0.5) - pct(&plain, 0.5)
    );
    client_base(&app, &login, reads.clamp(20, 500)).await?;
    plan(&app, &db, reads.clamp(20, 500)).await?;
    offers(&app, &db, reads.clamp(20, 500)).await?;
    crate::measure_ledger::run(&app, &db, reads.clamp(20, 200)).await?;
    db.close().await;
    Ok(())
}

/// The typical searches of issue 4 (a name fragment, an INN prefix, a phone beginning, names
/// with typos, a common surname, words out of order), as the administrator (the whole base)
/// and as `login`, a manager (a portfolio).
const SEARCHES: [&str; 8] = [
    "строй",
    "строиресурз",
    "иванва",
    "7710",
    "8 495 23",
    "иванова",
    "иванова ирина",
    "торг авто",
];

/// Server time of the client base's everyday reads: the first page of a manager's clients
/// sorted by name (50 rows, as the head opens it), and the typical searches, p50/p95 each.
async fn client_base(app: &App, login: &str, n: u32) -> anyhow::Result<()> {
    use prospekt_app::counterparties::CounterpartyQuery;
    let (Ok(admin), Ok(manager)) = (app.console_actor("admin").await, app.console_actor(login).await) else {
        println!("client base: no admin or {login} (demo data?), skipped");
        return Ok(());
    };
    let query = CounterpartyQuery {
        owner: Some(manager.user_id),
        limit: 50,
        ..Default::default()
    };
    let mut page = Vec::with_capacity(n as usize);
    let mut listed = 0;
    for _ in 0..n {
        let t = Instant::now();
        let rows = app.counterparties(&admin, &query).await?;
        page.push(t.elapsed());
        listed = rows.len();
    }
    page.sort();
    println!(
        "list page ({listed} clients of {login}, sorted by name): p50 {:.2} ms, p99 {:.2} ms",
        pct(&page, 0.5),
        pct(&page, 0.99)
    );
    let runs = (n / 4).max(20);
    for (who, actor) in [("admin", &admin), (login, &manager)] {
        let mut line = format!("search as {who} ({runs} runs each, p50 / p95 ms):");
        let mut worst = 0.0f64;
        for q in SEARCHES {
            let mut times = Vec::with_capacity(runs as usize);
            for _ in 0..runs {
                let t = Instant::now();
                app.search(actor, q, 20).await?;
                times.push(t.elapsed());
            }
            times.sort();
            worst = worst.max(pct(&times, 0.95));
            line.push_str(&format!(" «{q}» {:.1} / {:.1};", pct(&times, 0.5), pct(&times, 0.95)));
        }
        println!("{line} worst p95 {worst:.1} ms");
    }
    Ok(())
}

/// Week view (cycling through the last two years' weeks, so caches see realistic spread) and
/// the ranked list of kam1, timed sequentially in-process.
async fn plan(app: &App, db: &Db, n: u32) -> anyhow::Result<()> {
    use chrono::{Duration as Days, Utc};
    use prospekt_domain::activity::company_date;
    let Ok(actor) = app.console_actor("kam1").await else {
        println!("contact plan: no user kam1 (demo data?), skipped");
        return Ok(());
    };
    let (clients, activities) = prospekt_storage::repo::plan::plan_size(db, actor.user_id.as_uuid()).await?;
    let today = company_date(Utc::now());
    let mut weeks = Vec::with_capacity(n as usize);
    let mut rows = 0usize;
    for i in 0..n {
        let day = today - Days::weeks(i64::from(i % 104));
        let t = Instant::now();
        rows += app.week_plan(&actor, None, day).await?.activities.len();
        weeks.push(t.elapsed());
    }
    weeks.sort();
    // What a manager mostly opens: this week and the ones around it.
    let mut near = Vec::with_capacity(n as usize);
    for i in 0..n {
        let day = today + Days::weeks(i64::from(i % 5) - 2);
        let t = Instant::now();
        app.week_plan(&actor, None, day).await?;
        near.push(t.elapsed());
    }
    near.sort();
    let mut ranked = Vec::with_capacity(n as usize);
    let mut listed = 0usize;
    for _ in 0..n {
        let t = Instant::now();
        listed = app.priorities(&actor, None, 50).await?.len();
        ranked.push(t.elapsed());
    }
    ranked.sort();
    println!(
        "contact plan of kam1 ({clients} clients, {activities} activities): week view over two years ({n} weeks, {:.0} activities each on average) p50 {:.2} ms, p99 {:.2} ms; this week ±2 p50 {:.2} ms, p99 {:.2} ms; whom to contact now ({listed} rows) p50 {:.2} ms, p99 {:.2} ms",
        rows as f64 / f64::from(n),
        pct(&weeks, 0.5),
        pct(&weeks, 0.99),
        pct(&near, 0.5),
        pct(&near, 0.99),
        pct(&ranked, 0.5),
        pct(&ranked, 0.99)
    );
    Ok(())
}

/// The deal board of the manager with the most open deals; pricing a 200-line offer in the
/// domain; and building a 200-line offer through the app and rendering its PDF.
async fn offers(app: &App, db: &Db, n: u32) -> anyhow::Result<()> {
    use prospekt_app::offers::{OfferInput, OfferLineInput};
    use prospekt_domain::counterparty::{LifecycleStatus, Tier};
    use prospekt_domain::ids::{DealId, ProductId};
    use prospekt_domain::money::Money;
    use prospekt_domain::pricing::{ClientSegment, Discount, LineInput, PricingInput, Quantity, Rounding, VatMode};
    use prospekt_domain::vat::VatCategory;

    let Some((owner, _)) = prospekt_storage::repo::deals::busiest_owner(db).await? else {
        println!("deals: no open deals (demo data?), skipped");
        return Ok(());
    };
    let near = prospekt_storage::repo::deals::owner_with_open_deals_near(db, 500).await?;
    for (who, open) in near
        .into_iter()
        .chain(prospekt_storage::repo::deals::busiest_owner(db).await?)
    {
        let login = prospekt_storage::repo::users::by_id(db, who)
            .await?
            .context("owner not found")?
            .login;
        let actor = app.console_actor(&login).await?;
        let mut board = Vec::with_capacity(n as usize);
        let mut shown = 0;
        for _ in 0..n {
            let t = Instant::now();
            shown = app
                .deal_board(&actor, None)
                .await?
                .iter()
                .map(|c| c.deals.len())
                .sum::<usize>();
            board.push(t.elapsed());
        }
        board.sort();
        println!(
            "deal board of {login} ({open} open deals; {shown} cards, at most {} per stage): p50 {:.2} ms, p99 {:.2} ms",
            prospekt_app::deals::BOARD_CARDS_PER_STAGE,
            pct(&board, 0.5),
            pct(&board, 0.99)
        );
    }
    let login = prospekt_storage::repo::users::by_id(db, owner)
        .await?
        .context("owner not found")?
        .login;
    let actor = app.console_actor(&login).await?;

    // 200 catalogue lines at the first price column, with the promotions running today.
    let (products, _) = app.products(&actor, None, None, false, 200, 0).await?;
    let columns = app.price_columns(&actor).await?;
    let Some(column) = columns.first() else {
        println!("offers: no price columns, skipped");
        return Ok(());
    };
    let today = prospekt_app::catalog::company_today();
    let schedule = app.vat_schedule().await?;
    let promotions: Vec<_> = app
        .promotions(&actor, Some(today))
        .await?
        .iter()
        .map(prospekt_app::catalog::promotion_of)
        .collect::<Result<_, _>>()?;
    let lines: Vec<LineInput> = products
        .iter()
        .enumerate()
        .map(|(i, p)| LineInput {
            product: ProductId::from_uuid(p.product.id),
            group: p.product.group_name.clone(),
            quantity: Quantity::from_thousandths(1_000 * (1 + i as i64 % 50)).expect("quantity"),
            list_price: Money::from_kopecks(
                p.prices
                    .iter()
                    .find(|(c, _)| *c == column.id)
                    .map_or(10_000, |(_, v)| *v),
            ),
            min_price: None,
            vat: schedule.rate(
                VatCategory::parse(&p.product.vat_category).unwrap_or(VatCategory::Standard),
                today,
            ),
            manual_discount: Discount::from_basis_points((i as u32 % 8) * 100).expect("discount"),
        })
        .collect();
    let input = PricingInput {
        date: today,
        vat_mode: VatMode::Included,
        rounding: Rounding::PerLine,
        client: ClientSegment {
            tier: Tier::Key,
            status: LifecycleStatus::KeyClient,
        },
        manager_limit: Discount::from_basis_points(500).expect("limit"),
        lines: &lines,
        promotions: &promotions,
    };
    let mut pricing = Vec::with_capacity(1000);
    for _ in 0..1000 {
        let t = Instant::now();
        let doc = prospekt_domain::pricing::price(&input)?;
        pricing.push(t.elapsed());
        std::hint::black_box(doc);
    }
    pricing.sort();
    println!(
        "pricing a {}-line offer with {} promotions in the domain (1000 runs): p50 {:.3} ms, p99 {:.3} ms",
        lines.len(),
        promotions.len(),
        pct(&pricing, 0.5),
        pct(&pricing, 0.99)
    );

    // Through the app: build (price + store) and render, on one of the manager's open deals.
    let deals = app
        .deals(
            &actor,
            prospekt_app::deals::DealFilter {
                owner: Some(owner),
                open_only: true,
                limit: 1,
                ..Default::default()
            },
        )
        .await?;
    let Some(deal) = deals.first() else {
        return Ok(());
    };
    let offer_input = OfferInput {
        lines: products
            .iter()
            .enumerate()
            .map(|(i, p)| OfferLineInput {
                product: ProductId::from_uuid(p.product.id),
                quantity: Quantity::from_thousandths(1_000 * (1 + i as i64 % 50)).expect("quantity"),
                discount: Discount::ZERO,
            })
            .collect(),
        ..Default::default()
    };
    let runs = (n / 10).clamp(5, 20);
    let (mut build, mut render, mut both) = (Vec::new(), Vec::new(), Vec::new());
    let mut size = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let view = app
            .create_offer(&actor, DealId::from_uuid(deal.id), offer_input.clone())
            .await?;
        let built = t.elapsed();
        let t = Instant::now();
        let (_, pdf) = app
            .offer_pdf(&actor, prospekt_domain::ids::OfferId::from_uuid(view.offer.id))
            .await?;
        let rendered = t.elapsed();
        size = pdf.len();
        build.push(built);
        render.push(rendered);
        both.push(built + rendered);
    }
    build.sort();
    render.sort();
    both.sort();
    println!(
        "offer of {} lines ({runs} runs; PDF {} KiB): build (price + store) p50 {:.1} ms, p99 {:.1} ms; PDF render p50 {:.1} ms, p99 {:.1} ms; together p50 {:.1} ms, max {:.1} ms",
        offer_input.lines.len(),
        size / 1024,
        pct(&build, 0.5),
        pct(&build, 0.99),
        pct(&render, 0.5),
        pct(&render, 0.99),
        pct(&both, 0.5),
        pct(&both, 1.0)
    );
    Ok(())
}
