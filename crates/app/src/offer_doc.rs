//! The offer as a document: the stored offer turned into display strings for the PDF template
//! (Russian formatting, amount in words), rendered off the async threads.

use prospekt_docs::{OfferDocument, OfferLine, Party, TotalRow};
use prospekt_domain::money::Money;
use prospekt_domain::pricing::{Discount, Quantity};
use prospekt_domain::vat::VatRate;
use prospekt_domain::words::rubles_in_words;
use prospekt_storage::repo::counterparties;
use prospekt_storage::repo::offers::{self, OfferLineRow, OfferRow};
use prospekt_storage::repo::{bank_accounts, users};

use crate::offers::CompanyProfile;
use crate::{App, AppError};

/// The table, totals and notes of an offer, as printed.
pub fn offer_document(
    row: &OfferRow,
    lines: &[OfferLineRow],
    seller: &CompanyProfile,
    buyer: Party,
    manager: (&str, &str),
) -> OfferDocument {
    let vat_included = row.vat_mode != "on_top";
    let mut doc_lines = Vec::with_capacity(lines.len());
    let mut by_rate: Vec<(String, i64)> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let total_discount = l.manual_discount + l.promotion_discount;
        // Stacked discounts: 1 − (1 − p)(1 − m), shown as one percentage.
        let effective = if total_discount == 0 {
            0
        } else {
            let keep = (10_000 - i64::from(l.promotion_discount)) * (10_000 - i64::from(l.manual_discount));
            (100_000_000 - keep) / 10_000
        };
        let discount = Discount::from_basis_points(effective.clamp(0, 10_000) as u32)
            .map(|d| if d.is_zero() { String::new() } else { d.percent_label() })
            .unwrap_or_default();
        let vat = VatRate::parse_code(&l.vat_rate).unwrap_or(VatRate::Without);
        doc_lines.push(OfferLine {
            no: (i + 1) as u32,
            sku: l.sku.clone(),
            name: l.name.clone(),
            unit: l.unit.clone(),
            quantity: Quantity::from_thousandths(l.quantity)
                .map(|q| q.format_ru())
                .unwrap_or_default(),
            list_price: Money::from_kopecks(l.list_price).format_ru(),
            discount,
            price: Money::from_kopecks(l.unit_price).format_ru(),
            vat: vat.label_ru(),
            amount: Money::from_kopecks(if vat_included {
                l.amount_with_vat
            } else {
                l.amount_without_vat
            })
            .format_ru(),
        });
        if vat != VatRate::Without {
            match by_rate.iter_mut().find(|(r, _)| *r == vat.label_ru()) {
                Some(b) => b.1 += l.vat_amount,
                None => by_rate.push((vat.label_ru(), l.vat_amount)),
            }
        }
    }
    let mut totals = Vec::new();
    if vat_included {
        totals.push(TotalRow {
            label: "Итого".into(),
            value: Money::from_kopecks(row.total_with_vat).format_ru(),
            bold: false,
        });
        if by_rate.is_empty() {
            totals.push(TotalRow {
                label: "Без НДС".into(),
                value: "—".into(),
                bold: false,
            });
        } else if by_rate.len() == 1 {
            totals.push(TotalRow {
                label: format!("в т. ч. НДС {}", by_rate[0].0),
                value: Money::from_kopecks(row.total_vat).format_ru(),
                bold: false,
            });
        } else {
            totals.push(TotalRow {
                label: "в т. ч. НДС".into(),
                value: Money::from_kopecks(row.total_vat).format_ru(),
                bold: false,
            });
        }
    } else {
        totals.push(TotalRow {
            label: "Итого без НДС".into(),
            value: Money::from_kopecks(row.total_without_vat).format_ru(),
            bold: false,
        });
        totals.push(TotalRow {
            label: match by_rate.as_slice() {
                [(rate, _)] => format!("НДС {rate}"),
                _ => "НДС".into(),
            },
            value: Money::from_kopecks(row.total_vat).format_ru(),
            bold: false,
        });
    }
    totals.push(TotalRow {
        label: "Всего к оплате".into(),
        value: Money::from_kopecks(row.total_with_vat).format_ru(),
        bold: true,
    });
    let mut notes = Vec::new();
    if row.total_discount > 0 {
        notes.push(format!(
            "Ваша выгода по скидкам и акциям: {} руб.",
            Money::from_kopecks(row.total_discount).format_ru()
        ));
    }
    let mut promos: Vec<&str> = lines.iter().filter_map(|l| l.promotion_name.as_deref()).collect();
    promos.sort_unstable();
    promos.dedup();
    if !promos.is_empty() {
        notes.push(format!("Применены акции: {}.", promos.join(", ")));
    }
    if row.total_bonus > 0 {
        notes.push(format!(
            "По бонусной программе будет начислено {} руб. бонусов.",
            Money::from_kopecks(row.total_bonus).format_ru()
        ));
    }
    if by_rate.len() > 1 {
        for (rate, vat) in &by_rate {
            notes.push(format!("НДС {rate}: {} руб.", Money::from_kopecks(*vat).format_ru()));
        }
    }
    notes.push("Цены указаны в рублях. Условия оплаты и поставки — по договору.".into());
    OfferDocument {
        number: row.number.clone(),
        version: row.revision.max(1) as u32,
        date: row.priced_on.format("%d.%m.%Y").to_string(),
        valid_until: row.valid_until.format("%d.%m.%Y").to_string(),
        seller: seller_party(seller),
        buyer,
        intro: row.intro.clone(),
        vat_included,
        lines: doc_lines,
        totals,
        total_in_words: rubles_in_words(Money::from_kopecks(row.total_with_vat)),
        notes,
        signer_position: manager.0.to_owned(),
        signer_name: row.owner_name.clone().unwrap_or_default(),
        manager_contacts: manager.1.to_owned(),
    }
}

/// «Менеджер по продажам» and the like, for the signature block.
fn position_ru(role: &str) -> &'static str {
    match role {
        "key_account_manager" => "Менеджер по работе с ключевыми клиентами",
        "head_of_department" => "Руководитель отдела продаж",
        "commercial_director" => "Коммерческий директор",
        _ => "Менеджер по продажам",
    }
}

/// Our requisites as printed on documents.
pub(crate) fn seller_party(seller: &CompanyProfile) -> Party {
    Party {
        name: seller.name.clone(),
        inn: seller.inn.clone(),
        kpp: seller.kpp.clone(),
        ogrn: seller.ogrn.clone(),
        address: seller.address.clone(),
        bank: seller.bank.clone(),
        phone: seller.phone.clone(),
        email: seller.email.clone(),
    }
}

impl App {
    /// A client's requisites as printed on documents (its first bank account).
    pub(crate) async fn client_party(&self, id: uuid::Uuid) -> Result<Party, AppError> {
        let client = counterparties::by_id(self.db(), id).await?.ok_or(AppError::NotFound)?;
        let bank = bank_accounts::for_counterparty(self.db(), id)
            .await
            .ok()
            .and_then(|a| a.into_iter().next())
            .map(|a| format!("р/с {} в {}, БИК {}", a.account, a.bank_name, a.bik))
            .unwrap_or_default();
        Ok(Party {
            name: client.full_name.clone(),
            inn: client.inn.clone().unwrap_or_default(),
            kpp: client.kpp.clone().unwrap_or_default(),
            ogrn: client.ogrn.clone().unwrap_or_default(),
            address: client.legal_address.clone().unwrap_or_default(),
            bank,
            phone: client.phone.clone().unwrap_or_default(),
            email: client.email.clone().unwrap_or_default(),
        })
    }

    /// The stored offer rendered to PDF: (file name, bytes).
    pub(crate) async fn render_offer_pdf(&self, row: &OfferRow) -> Result<(String, Vec<u8>), AppError> {
        let lines = offers::lines(self.db(), row.id).await?;
        let (seller, _) = self.company_profile().await?;
        let buyer = self.client_party(row.counterparty_id).await?;
        let owner = match row.owner_id {
            Some(o) => users::by_id(self.db(), o).await?,
            None => None,
        };
        let position = position_ru(owner.as_ref().map_or("manager", |u| u.role.as_str()));
        let contacts = owner.and_then(|u| u.email).unwrap_or_default();
        let doc = offer_document(row, &lines, &seller, buyer, (position, &contacts));
        let file = format!("{}-v{}.pdf", row.number, row.revision);
        let engine = self.docs.clone();
        let pdf =
            tokio::task::spawn_blocking(move || engine.get_or_init(prospekt_docs::DocEngine::new).offer_pdf(&doc))
                .await
                .map_err(|e| AppError::Internal(format!("render task: {e}")))?
                .map_err(|e| AppError::Internal(format!("offer PDF: {e}")))?;
        Ok((file, pdf))
    }
}
