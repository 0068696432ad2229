//! Outgoing e-mail over SMTP (offers to clients). The server is configured at start-up
//! (`--smtp-url`, `--mail-from`); without it, sending by e-mail is refused with a clear message.

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::AppError;

/// An SMTP connection pool and the sender address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

/// A message with one attachment.
pub struct Outgoing<'a> {
    pub to: &'a [String],
    pub reply_to: Option<&'a str>,
    pub subject: &'a str,
    pub body: &'a str,
    pub attachment_name: &'a str,
    pub attachment: Vec<u8>,
    pub content_type: &'a str,
}

impl Mailer {
    /// `url`: `smtp://host:port` (plain, e.g. a relay on the same host), `smtp://host:587?tls=required`
    /// (STARTTLS) or `smtps://user:password@host:465`; `from`: `Name <address>` or an address.
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("bad SMTP URL: {e}"))?
            .build();
        let from: Mailbox = from.parse().map_err(|e| format!("bad sender address {from:?}: {e}"))?;
        Ok(Self { transport, from })
    }

    pub fn from_address(&self) -> String {
        self.from.email.to_string()
    }

    pub async fn send(&self, m: Outgoing<'_>) -> Result<(), AppError> {
        let unavailable = |reason: String| AppError::Unavailable {
            service: "mail",
            reason,
        };
        let mut builder = Message::builder().from(self.from.clone()).subject(m.subject);
        for to in m.to {
            let mailbox: Mailbox = to.parse().map_err(|e| unavailable(format!("recipient {to:?}: {e}")))?;
            builder = builder.to(mailbox);
        }
        if let Some(r) = m.reply_to
            && let Ok(mailbox) = r.parse::<Mailbox>()
        {
            builder = builder.reply_to(mailbox);
        }
        let content_type = ContentType::parse(m.content_type).map_err(|e| unavailable(e.to_string()))?;
        let message = builder
            .multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain(m.body.to_owned()))
                    .singlepart(Attachment::new(m.attachment_name.to_owned()).body(m.attachment, content_type)),
            )
            .map_err(|e| unavailable(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map_err(|e| unavailable(format!("SMTP: {e}")))?;
        Ok(())
    }
}
