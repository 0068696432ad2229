//! Receivable documents: the reconciliation act of a client for a period and the claim
//! (претензия) of a collection case, as printed PDFs. Issuing either is recorded in the audit
//! log as an export; an act also gets its number and is kept with its closing balance.

use chrono::NaiveDate;
use prospekt_docs::{ActRow, ClaimDebt, ClaimInterestRow, ClaimLetter, ReconciliationAct};
use prospekt_domain::ids::{CollectionCaseId, CounterpartyId, InvoiceId};
use prospekt_domain::money::Money;
use prospekt_domain::words::rubles_in_words;
use prospekt_storage::repo::collections as coll;
use prospekt_storage::repo::ledger;
use prospekt_storage::repo::offers as offer_repo;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{By, record_tx};
use crate::catalog::company_today;
use crate::offer_doc::seller_party;
use crate::{Actor, App, AppError, now};

fn ru_date(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

fn money_cell(kopecks: i64) -> String {
    if kopecks == 0 {
        String::new()
    } else {
        Money::from_kopecks(kopecks).format_ru()
    }
}

fn document_label(kind: &str, number: &str, on: NaiveDate) -> String {
    let what = match kind {
        "invoice" => "Продажа (УПД",
        "payment" => "Оплата (п/п",
        "return" => "Возврат (накл.",
        "act" => "Акт расхождения (акт",
        _ => "Списание долга (счёт",
    };
    format!("{what} № {number} от {})", ru_date(on))
}

impl App {
    /// The reconciliation act for a client and period as PDF: (file name, bytes).
    pub async fn reconciliation_pdf(
        &self,
        actor: &Actor,
        id: CounterpartyId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<(String, Vec<u8>), AppError> {
        let rec = self.reconciliation(actor, id, from, to).await?;
        let (profile, _) = self.company_profile().await?;
        let buyer = self.client_party(rec.counterparty_id).await?;
        let seller = seller_party(&profile);
        let split = |m: Money| -> (String, String) {
            let k = m.kopecks();
            if k >= 0 {
                (money_cell(k), String::new())
            } else {
                (String::new(), money_cell(-k))
            }
        };
        let (opening_debit, opening_credit) = split(rec.opening);
        let (closing_debit, closing_credit) = split(rec.closing);
        let closing = rec.closing.kopecks();
        let conclusion = if closing == 0 {
            format!(
                "По данным {} на {} задолженность отсутствует.",
                seller.name,
                ru_date(to)
            )
        } else {
            let (whom, amount) = if closing > 0 {
                (&seller.name, closing)
            } else {
                (&buyer.name, -closing)
            };
            format!(
                "По данным {} на {} задолженность в пользу {} составляет {} руб. ({}).",
                seller.name,
                ru_date(to),
                whom,
                Money::from_kopecks(amount).format_ru(),
                rubles_in_words(Money::from_kopecks(amount))
            )
        };
        let act_id = Uuid::now_v7();
        let at = now();
        let mut tx = self.db().begin().await?;
        let number = format!("АС-{:06}", offer_repo::next_number_tx(&mut tx, "reconciliation").await?);
        coll::insert_reconciliation_tx(
            &mut tx,
            act_id,
            &number,
            rec.counterparty_id,
            from,
            to,
            closing,
            actor.user_id.as_uuid(),
            at,
        )
        .await?;
        record_tx(
            &mut tx,
            By::actor(actor),
            "export",
            "reconciliation_act",
            Some(act_id),
            json!({ "number": number, "counterparty_id": rec.counterparty_id, "from": from, "to": to,
                    "closing": rec.closing }),
        )
        .await?;
        tx.commit().await?;
        let act = ReconciliationAct {
            number: number.clone(),
            date: ru_date(company_today()),
            period_from: ru_date(from),
            period_to: ru_date(to),
            seller,
            buyer,
            contract: None,
            opening_debit,
            opening_credit,
            rows: rec
                .rows
                .iter()
                .map(|e| ActRow {
                    date: ru_date(e.on_date),
                    document: document_label(&e.kind, &e.number, e.on_date),
                    debit: money_cell(e.debit),
                    credit: money_cell(e.credit),
                })
                .collect(),
            turnover_debit: money_cell(rec.debit.kopecks()),
            turnover_credit: money_cell(rec.credit.kopecks()),
            closing_debit,
            closing_credit,
            conclusion,
            seller_signatory: String::new(),
            seller_accountant: String::new(),
        };
        let engine = self.docs.clone();
        let pdf = tokio::task::spawn_blocking(move || {
            engine
                .get_or_init(prospekt_docs::DocEngine::new)
                .reconciliation_pdf(&act)
        })
        .await
        .map_err(|e| AppError::Internal(format!("render task: {e}")))?
        .map_err(|e| AppError::Internal(format!("reconciliation PDF: {e}")))?;
        Ok((format!("{number}.pdf"), pdf))
    }

    /// The claim of a collection case as PDF: the client's overdue invoices, interest under
    /// art. 395 (or the contractual penalty) to today, the demand and the pre-trial term.
    pub async fn claim_pdf(&self, actor: &Actor, id: CollectionCaseId) -> Result<(String, Vec<u8>), AppError> {
        let view = self.case(actor, id).await?;
        let case = &view.case;
        let today = company_today();
        let (profile, _) = self.company_profile().await?;
        let seller = seller_party(&profile);
        let buyer = self.client_party(case.counterparty_id).await?;
        let overdue: Vec<_> = ledger::invoices_of(self.db(), case.counterparty_id, true, 1000)
            .await?
            .into_iter()
            .filter(|i| i.due_on < today)
            .collect();
        let mut debts = Vec::new();
        let mut rows = Vec::new();
        let (mut debt_total, mut interest_total) = (0i64, 0i64);
        let mut penalty_used = false;
        for inv in overdue.iter().rev() {
            debt_total += inv.open();
            debts.push(ClaimDebt {
                document: format!("УПД № {} от {}", inv.number, ru_date(inv.issued_on)),
                due: ru_date(inv.due_on),
                amount: Money::from_kopecks(inv.total).format_ru(),
                open: Money::from_kopecks(inv.open()).format_ru(),
            });
            let calc = self
                .invoice_interest(actor, InvoiceId::from(inv.id), Some(today))
                .await?;
            match calc.penalty {
                Some(p) => {
                    penalty_used = true;
                    interest_total += p.total.kopecks();
                    for r in p.rows {
                        rows.push(ClaimInterestRow {
                            from: ru_date(r.from),
                            to: ru_date(r.to),
                            days: r.days.to_string(),
                            base: r.base.format_ru(),
                            rate: "неустойка".into(),
                            amount: r.amount.format_ru(),
                        });
                    }
                }
                None => {
                    interest_total += calc.interest.total.kopecks();
                    for r in calc.interest.rows {
                        rows.push(ClaimInterestRow {
                            from: ru_date(r.from),
                            to: ru_date(r.to),
                            days: r.days.to_string(),
                            base: r.base.format_ru(),
                            rate: format!("{},{:02} %", r.rate_bp / 100, r.rate_bp % 100),
                            amount: r.amount.format_ru(),
                        });
                    }
                }
            }
        }
        if debts.is_empty() {
            return Err(prospekt_domain::FieldError::new("counterparty_id", "no_overdue_debt").into());
        }
        let claim_total = debt_total + interest_total;
        let number = case
            .claim_number
            .clone()
            .unwrap_or_else(|| format!("П-{}", &case.id.to_string()[..8]));
        let sent = case.claim_sent_on.unwrap_or(today);
        let suit_from = match case.suit_from {
            Some(d) => d,
            None => {
                let term = case.claim_term_days.unwrap_or(30).clamp(1, 365) as u32;
                prospekt_domain::calendar::claim_suit_date(sent, term, &self.work_calendar().await?).1
            }
        };
        let letter = ClaimLetter {
            number: number.clone(),
            date: ru_date(sent),
            seller: seller.clone(),
            buyer,
            contract: None,
            debts,
            debt_total: Money::from_kopecks(debt_total).format_ru(),
            debt_total_words: rubles_in_words(Money::from_kopecks(debt_total)),
            interest_title: if penalty_used {
                "Неустойка по договору".into()
            } else {
                "Проценты по ст. 395 ГК РФ".into()
            },
            interest_rows: rows,
            interest_total: Money::from_kopecks(interest_total).format_ru(),
            claim_total: Money::from_kopecks(claim_total).format_ru(),
            claim_total_words: rubles_in_words(Money::from_kopecks(claim_total)),
            pay_within_days: case.claim_term_days.unwrap_or(30).max(1) as u32,
            suit_possible_from: ru_date(suit_from),
            bank_details: seller.bank.clone(),
            signatory: String::new(),
        };
        let mut tx = self.db().begin().await?;
        record_tx(
            &mut tx,
            By::actor(actor),
            "export",
            "claim",
            Some(case.id),
            json!({ "number": number, "debt": Money::from_kopecks(debt_total),
                    "interest": Money::from_kopecks(interest_total) }),
        )
        .await?;
        tx.commit().await?;
        let engine = self.docs.clone();
        let pdf =
            tokio::task::spawn_blocking(move || engine.get_or_init(prospekt_docs::DocEngine::new).claim_pdf(&letter))
                .await
                .map_err(|e| AppError::Internal(format!("render task: {e}")))?
                .map_err(|e| AppError::Internal(format!("claim PDF: {e}")))?;
        Ok((format!("{number}.pdf"), pdf))
    }
}
