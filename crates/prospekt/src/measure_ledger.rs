//! Measurements of orders and receivables (issue 7) for the benchmark report: the aging report
//! for the whole company and for one manager, a client's balance, importing and matching a
//! 10,000-document bank statement (and importing it again), and submitting orders through the
//! credit check. Also prepares draft orders for the HTTP load test of submission.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::NaiveDate;
use prospekt_app::App;
use prospekt_app::orders::{OrderInput, OrderLineInput};
use prospekt_domain::ids::{CounterpartyId, OrderId};
use prospekt_domain::pricing::{Discount, Quantity};
use prospekt_storage::Db;
use prospekt_storage::repo::ledger::{self, NewLine, NewOrder};
use rand::{Rng, SeedableRng};

use crate::measure::pct;

/// Our account in the generated statement.
const OUR_ACCOUNT: &str = "40702810938000012345";
const OUR_INN: &str = "7728123459";

pub async fn run(app: &App, db: &Db, n: u32) -> anyhow::Result<()> {
    let Ok(director) = app.console_actor("director").await else {
        println!("receivables: no user director (demo data?), skipped");
        return Ok(());
    };
    let kam = app.console_actor("kam1").await.context("no user kam1")?;
    let lines = prospekt_storage::bulk::verify::query_i64(db, "SELECT COUNT(*) FROM invoice_lines").await?;
    let open: i64 = prospekt_storage::bulk::verify::query_i64(
        db,
        "SELECT COUNT(*) FROM invoices i WHERE i.paid + i.credited + i.written_off < i.total",
    )
    .await?;

    // The company's aging report (directors see everything).
    let runs = n.clamp(5, 50);
    let mut company = Vec::new();
    let mut clients = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let r = app.aging_report(&director, None, 50).await?;
        company.push(t.elapsed());
        clients = r.managers.len();
    }
    company.sort();
    // One manager's aging, as the manager opens it.
    let mut manager = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        app.aging_report(&kam, Some(kam.user_id), 50).await?;
        manager.push(t.elapsed());
    }
    manager.sort();
    println!(
        "aging ({lines} invoice lines, {open} open invoices): company p50 {:.1} ms, p99 {:.1} ms ({runs} runs, {clients} managers); one manager (kam1) p50 {:.2} ms, p99 {:.2} ms ({n} runs)",
        pct(&company, 0.5),
        pct(&company, 0.99),
        pct(&manager, 0.5),
        pct(&manager, 0.99)
    );

    // A client's balance on the card.
    let ids = ledger::clients_of_owner(db, kam.user_id.as_uuid(), 2000).await?;
    let mut balance = Vec::new();
    for i in 0..n as usize {
        let id = CounterpartyId::from_uuid(ids[(i * 7919) % ids.len().max(1)]);
        let t = Instant::now();
        app.balance(&kam, id).await?;
        balance.push(t.elapsed());
    }
    balance.sort();
    println!(
        "client balance (kam1's clients, {n} reads): p50 {:.2} ms, p99 {:.2} ms",
        pct(&balance, 0.5),
        pct(&balance, 0.99)
    );

    // Importing and matching a statement of 10,000 documents, then the same file again.
    let credit = app.console_actor("credit").await.context("no user credit")?;
    let (bytes, docs) = statement(db, 10_000).await?;
    let t = Instant::now();
    let first = app.import_statement(&credit, "bench.txt", &bytes).await?;
    let took = t.elapsed();
    let t = Instant::now();
    let again = app.import_statement(&credit, "bench.txt", &bytes).await?;
    let took_again = t.elapsed();
    println!(
        "bank statement of {docs} documents ({} KiB, windows-1251): import and match {:.0} ms ({} matched, {} queued, {} outgoing; {} received, {} allocated); the same file again {:.0} ms ({} duplicates)",
        bytes.len() / 1024,
        took.as_secs_f64() * 1000.0,
        first.matched,
        first.queued,
        first.outgoing,
        first.received,
        first.allocated,
        took_again.as_secs_f64() * 1000.0,
        again.duplicates
    );

    // Submitting orders through the credit check, 64 at a time.
    let count = 2_000;
    let orders = prepare(app, db, count, "kam1").await?;
    let t = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    let chunks: Vec<Vec<uuid::Uuid>> = orders.chunks(count / 64 + 1).map(|c| c.to_vec()).collect();
    for chunk in chunks {
        let app = app.clone();
        let kam = kam.clone();
        set.spawn(async move {
            let mut times = Vec::with_capacity(chunk.len());
            let mut held = 0;
            for id in chunk {
                let t = Instant::now();
                let v = app.submit_order(&kam, OrderId::from(id), 1).await?;
                times.push(t.elapsed());
                held += usize::from(v.order.credit_hold);
            }
            anyhow::Ok((times, held))
        });
    }
    let mut times: Vec<Duration> = Vec::new();
    let mut held = 0;
    while let Some(r) = set.join_next().await {
        let (t, h) = r??;
        times.extend(t);
        held += h;
    }
    let wall = t.elapsed();
    times.sort();
    println!(
        "order submission with credit check ({count} orders, 64 concurrent, in-process): {:.0}/s, p50 {:.2} ms, p99 {:.2} ms; {held} held by the check",
        count as f64 / wall.as_secs_f64(),
        pct(&times, 0.5),
        pct(&times, 0.99)
    );
    Ok(())
}

/// Creates `count` draft orders for the clients of `login` (one priced line each, at the
/// client's column) and returns their ids. A few are priced through the app; the rest copy
/// their lines, so preparing tens of thousands stays quick.
pub async fn prepare(app: &App, db: &Db, count: usize, login: &str) -> anyhow::Result<Vec<uuid::Uuid>> {
    let actor = app.console_actor(login).await.context("no such user")?;
    let clients = ledger::clients_of_owner(db, actor.user_id.as_uuid(), 2000).await?;
    anyhow::ensure!(!clients.is_empty(), "{login} has no clients");
    let product = prospekt_storage::bulk::verify::query_text_rows(
        db,
        "SELECT sku FROM products WHERE archived_at IS NULL ORDER BY sku LIMIT 1",
    )
    .await?
    .first()
    .and_then(|r| r.first().cloned().flatten())
    .context("no products")?;
    let found = app.products_by_sku(&actor, std::slice::from_ref(&product)).await?;
    let product = prospekt_domain::ids::ProductId::from_uuid(found.first().context("product")?.1);
    // Priced templates: one per client, up to 50 clients.
    let mut templates = Vec::new();
    for &client in clients.iter().take(50) {
        let v = app
            .create_order(
                &actor,
                OrderInput {
                    counterparty: CounterpartyId::from_uuid(client),
                    lines: vec![OrderLineInput {
                        product,
                        quantity: Quantity::from_thousandths(5_000).map_err(|e| anyhow::anyhow!("{e:?}"))?,
                        discount: Discount::ZERO,
                    }],
                    comment: Some("Нагрузочный заказ".into()),
                    price_column: None,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        templates.push(v);
    }
    let mut ids: Vec<uuid::Uuid> = templates.iter().map(|v| v.order.id).collect();
    let now = chrono::Utc::now();
    let mut tx = db.begin().await?;
    let mut i = ids.len();
    while i < count {
        let t = &templates[i % templates.len()];
        let client = clients[i % clients.len()];
        let id = uuid::Uuid::now_v7();
        let lines: Vec<NewLine> = t
            .lines
            .iter()
            .map(|l| NewLine {
                product_id: l.product_id,
                quantity: l.quantity,
                price: l.price,
                discount: l.discount,
                vat_rate: l.vat_rate.clone(),
                amount: l.amount,
                vat_amount: l.vat_amount,
            })
            .collect();
        ledger::insert_order_tx(
            &mut tx,
            &NewOrder {
                id,
                number: &format!("Н-{}-{i:07}", now.timestamp()),
                counterparty_id: client,
                owner_id: Some(actor.user_id.as_uuid()),
                ordered_on: now.date_naive(),
                price_column_id: t.order.price_column_id,
                comment: "Нагрузочный заказ",
                total: t.order.total,
                total_vat: t.order.total_vat,
                created_by: actor.user_id.as_uuid(),
            },
            &lines,
            now,
        )
        .await?;
        ids.push(id);
        i += 1;
    }
    tx.commit().await?;
    ids.truncate(count);
    Ok(ids)
}

/// `prospekt measure --prepare-orders N --out FILE`: draft orders of kam1 for the load test.
pub async fn prepare_to_file(app: &App, db: &Db, count: usize, out: &std::path::Path) -> anyhow::Result<()> {
    let ids = prepare(app, db, count, "kam1").await?;
    let mut f = std::io::BufWriter::new(std::fs::File::create(out)?);
    for id in &ids {
        writeln!(f, "{id}")?;
    }
    f.flush()?;
    println!("{} draft orders of kam1 written to {}", ids.len(), out.display());
    Ok(())
}

/// A 1CClientBankExchange statement (windows-1251) of `docs` documents against the open
/// invoices in the database: most pay an invoice named in the purpose (some only partly), some
/// name only the amount, some come from unknown payers, some are our own outgoing payments.
pub async fn statement(db: &Db, docs: usize) -> anyhow::Result<(Vec<u8>, usize)> {
    let invoices = ledger::open_invoices_with_payers(db, docs as i64).await?;
    anyhow::ensure!(!invoices.is_empty(), "no open invoices");
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let today = prospekt_domain::activity::company_date(chrono::Utc::now());
    let d = |x: NaiveDate| x.format("%d.%m.%Y").to_string();
    let money = |k: i64| format!("{}.{:02}", k / 100, k % 100);
    let mut body = String::new();
    let (mut credited, mut debited) = (0i64, 0i64);
    for i in 0..docs {
        let (number, issued, open, inn, account) = &invoices[i % invoices.len()];
        let roll: u32 = rng.random_range(0..100);
        let payer_account = account
            .clone()
            .unwrap_or_else(|| format!("4070281{:013}", rng.random_range(0..9_999_999_999_999u64)));
        let (amount, payer_inn, purpose, outgoing) = match roll {
            0..=69 => (
                *open,
                inn.clone(),
                format!("Оплата по счету № {number} от {} за товар, в т.ч. НДС", d(*issued)),
                false,
            ),
            70..=79 => (
                (*open / 2).max(1),
                inn.clone(),
                format!("Частичная оплата по сч. {number}"),
                false,
            ),
            80..=89 => (
                *open,
                inn.clone(),
                "Оплата за товар по договору поставки".to_owned(),
                false,
            ),
            90..=94 => (
                rng.random_range(10_000..5_000_000),
                format!("77{:08}", rng.random_range(0..99_999_999)),
                "Оплата по счету 1".to_owned(),
                false,
            ),
            _ => (
                rng.random_range(10_000..1_000_000),
                OUR_INN.to_owned(),
                "Оплата поставщику за услуги".to_owned(),
                true,
            ),
        };
        let (pa, pi, ra, ri) = if outgoing {
            (
                OUR_ACCOUNT.to_owned(),
                OUR_INN.to_owned(),
                payer_account.clone(),
                "7701000000".to_owned(),
            )
        } else {
            (
                payer_account.clone(),
                payer_inn.clone(),
                OUR_ACCOUNT.to_owned(),
                OUR_INN.to_owned(),
            )
        };
        if outgoing {
            debited += amount;
        } else {
            credited += amount;
        }
        let date_line = if outgoing {
            format!("ДатаСписано={}", d(today))
        } else {
            format!("ДатаПоступило={}", d(today))
        };
        body.push_str(&format!(
            "СекцияДокумент=Платежное поручение\r\nНомер={}\r\nДата={}\r\nСумма={}\r\nПлательщикСчет={pa}\r\nПлательщикИНН={pi}\r\nПлательщик1=Плательщик {i}\r\nПолучательСчет={ra}\r\nПолучательИНН={ri}\r\nПолучатель1=Получатель\r\n{date_line}\r\nНазначениеПлатежа={purpose}\r\nКонецДокумента\r\n",
            1000 + i,
            d(today),
            money(amount),
        ));
    }
    let opening = 10_000_000_000i64;
    let head = format!(
        "1CClientBankExchange\r\nВерсияФормата=1.03\r\nКодировка=Windows\r\nОтправитель=Банк\r\nДатаНачала={t}\r\nДатаКонца={t}\r\nРасчСчет={OUR_ACCOUNT}\r\nСекцияРасчСчет\r\nДатаНачала={t}\r\nДатаКонца={t}\r\nРасчСчет={OUR_ACCOUNT}\r\nНачальныйОстаток={}\r\nВсегоПоступило={}\r\nВсегоСписано={}\r\nКонечныйОстаток={}\r\nКонецРасчСчет\r\n",
        money(opening),
        money(credited),
        money(debited),
        money(opening + credited - debited),
        t = d(today),
    );
    let text = format!("{head}{body}КонецФайла\r\n");
    let (bytes, _, bad) = encoding_rs::WINDOWS_1251.encode(&text);
    anyhow::ensure!(!bad, "the statement does not fit windows-1251");
    Ok((bytes.into_owned(), docs))
}
