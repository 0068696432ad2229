//! `prospekt measure`: in-process timings for the benchmark report. Load tests measure the
//! whole request; these isolate two costs inside it: verifying a password (argon2id) and the
//! authorization policy on a point read (scope lookup including absences, and the check); and
//! the server time of the contact plan's heaviest reads (the week view and "whom to contact
//! now" of the key account manager `kam1`), without HTTP and queueing around them.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use prospekt_app::App;
use prospekt_domain::ids::CounterpartyId;
use prospekt_storage::repo::counterparties;
use prospekt_storage::{Db, DbUrl};

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

pub async fn run(db: &str, reads: u32, logins: u32) -> anyhow::Result<()> {
    let url = DbUrl::parse(db)?;
    let db = Db::open(&url).await?;
    let app = App::new(db.clone());
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
    plan(&app, &db, reads.clamp(20, 500)).await?;
    db.close().await;
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
