//! Outgoing e-mail (invitations and password resets), when SMTP is configured.
//!
//! The one-time link is always shown to the admin as well, so a mail server
//! that is down never locks anyone out. Messages carry no record content.

use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// SMTP settings: `smtp://user:pass@host:587?tls=required`, `smtps://…`, or plain `smtp://host:25`.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from.to_string()).finish()
    }
}

impl Mailer {
    pub fn new(url: &str, from: &str) -> Result<Mailer, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| format!("--smtp-url: {e}"))?.build();
        let from: Mailbox = from.parse().map_err(|e| format!("--smtp-from {from:?}: {e}"))?;
        Ok(Mailer { transport, from })
    }

    /// Sends a plain-text message. Errors are returned for the caller to report, never panicked.
    pub async fn send(&self, to_name: &str, to_email: &str, subject: &str, body: String) -> Result<(), String> {
        let to = Mailbox::new(Some(to_name.to_string()), to_email.parse().map_err(|e| format!("address {to_email:?}: {e}"))?);
        let msg = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| e.to_string())?;
        self.transport.send(msg).await.map(|_| ()).map_err(|e| e.to_string())
    }
}
