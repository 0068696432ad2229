//! What the demo needs beyond the generated base to show offers: our company's requisites on
//! documents, discount limits by role, and two running promotions.

use anyhow::Context as _;
use chrono::{Duration, NaiveDate, SubsecRound as _, Utc};
use prospekt_storage::Db;
use prospekt_storage::repo::{catalog, offers, users};
use serde_json::json;
use uuid::Uuid;

/// Seeds the settings and promotions; leaves existing ones alone.
pub async fn seed(db: &Db, today: NaiveDate) -> anyhow::Result<()> {
    let now = Utc::now().trunc_subsecs(6);
    let company = json!({
        "name": "ООО «Торговый дом „Проспект“»",
        "inn": "7707083893",
        "kpp": "773601001",
        "ogrn": "1027700132195",
        "address": "117997, г. Москва, ул. Вавилова, д. 19",
        "bank": "р/с 40702810938000012345 в ПАО Сбербанк, БИК 044525225, к/с 30101810400000000225",
        "phone": "+7 495 500-55-50",
        "email": "sales@prospekt-td.ru",
    })
    .to_string();
    let existing = catalog::promotions(db, None).await?;
    let mut tx = db.begin().await?;
    offers::put_setting_if_absent_tx(&mut tx, "company", &company, now).await?;
    // A head may give up to 15 %, a key account manager 7 %, a manager 5 % (the default), the
    // commercial director any discount.
    for (role, bp) in [
        ("head_of_department", 1500),
        ("key_account_manager", 700),
        ("commercial_director", 10_000),
    ] {
        users::set_discount_limit_of_role_tx(&mut tx, role, bp).await?;
    }
    if existing.is_empty() {
        let promotions = [
            (
                "Зимняя распродажа упаковки",
                "discount",
                700,
                json!(["Упаковка"]),
                json!([]),
            ),
            (
                "Бонусы ключевым клиентам",
                "bonus",
                200,
                json!([]),
                json!(["key", "vip"]),
            ),
        ];
        for (name, kind, rate, groups, tiers) in promotions {
            let row = catalog::PromotionRow {
                id: Uuid::now_v7(),
                name: name.to_owned(),
                kind: kind.to_owned(),
                rate,
                valid_from: today - Duration::days(10),
                valid_to: today + Duration::days(60),
                product_ids: "[]".into(),
                product_groups: groups.to_string(),
                tiers: tiers.to_string(),
                statuses: "[]".into(),
                archived_at: None,
                version: 1,
                created_by: None,
                created_at: now,
                updated_at: now,
            };
            catalog::insert_promotion_tx(&mut tx, &row).await.context("promotion")?;
        }
    }
    tx.commit().await?;
    Ok(())
}
