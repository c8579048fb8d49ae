//! Sending e-mail: over SMTP with lettre when a host is configured, otherwise into
//! `.eml` files in the mail folder (the embedded default), so nothing is lost and a
//! developer can read what would have been sent.

pub mod templates;

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::{Attachment, Mailbox, MultiPart, header::ContentType, header::MessageId};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::jobs::OutgoingEmail;
use crate::settings::{Settings, SmtpTls};

pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
        domain: String,
    },
    Files {
        folder: PathBuf,
        from: Mailbox,
        domain: String,
    },
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> Result<Self, String> {
        let from: Mailbox = settings.mail_from.parse().map_err(|e| format!("mail_from: {e}"))?;
        let domain = from.email.domain().to_owned();
        let Some(host) = &settings.smtp_host else {
            let folder = settings.mail_dir();
            tracing::info!(folder = %folder.display(), "no SMTP host configured: e-mails are written to files");
            return Ok(Self::Files { folder, from, domain });
        };
        let mut builder = match settings.smtp_tls {
            SmtpTls::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host).map_err(|e| e.to_string())?
            }
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(|e| e.to_string())?,
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        };
        builder = builder.port(settings.smtp_port).timeout(Some(Duration::from_secs(30)));
        if let (Some(user), Some(password)) = (&settings.smtp_username, &settings.smtp_password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.expose_secret().to_owned()));
        }
        Ok(Self::Smtp {
            transport: builder.build(),
            from,
            domain,
        })
    }

    fn build_message(&self, email: &OutgoingEmail, job_id: i64) -> Result<Message, String> {
        let (from, domain) = match self {
            Self::Smtp { from, domain, .. } | Self::Files { from, domain, .. } => (from, domain),
        };
        let to: Mailbox = email.to.parse().map_err(|e| format!("recipient: {e}"))?;
        let alternative = MultiPart::alternative_plain_html(email.text.clone(), email.html.clone());
        // Attachments make the message multipart/mixed: the text alternatives first, then the files.
        let body = if email.attachments.is_empty() {
            alternative
        } else {
            let mut mixed = MultiPart::mixed().multipart(alternative);
            for attachment in &email.attachments {
                let content_type =
                    ContentType::parse(&attachment.content_type).map_err(|e| format!("attachment type: {e}"))?;
                let content = attachment.content().map_err(|e| format!("attachment content: {e}"))?;
                mixed = mixed.singlepart(Attachment::new(attachment.file_name.clone()).body(content, content_type));
            }
            mixed
        };
        Message::builder()
            .from(from.clone())
            .to(to)
            .subject(&email.subject)
            // Derived from the job, so a rare second delivery after a crash can be recognised as the same message.
            .header(MessageId::from(format!("<job-{job_id}@{domain}>")))
            .multipart(body)
            .map_err(|e| e.to_string())
    }

    pub async fn send(&self, email: &OutgoingEmail, job_id: i64) -> Result<(), String> {
        let message = self.build_message(email, job_id)?;
        match self {
            Self::Smtp { transport, .. } => transport.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Self::Files { folder, .. } => {
                tokio::fs::create_dir_all(folder).await.map_err(|e| e.to_string())?;
                let path = folder.join(format!("job-{job_id}.eml"));
                tokio::fs::write(&path, message.formatted())
                    .await
                    .map_err(|e| e.to_string())?;
                tracing::info!(path = %path.display(), to = %email.to, "e-mail written to file");
                Ok(())
            }
        }
    }
}
