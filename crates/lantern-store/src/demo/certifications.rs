//! Demo certifications: specialist@demo holds an IC&RC Peer Recovery
//! credential expiring in about 80 days, with some CE hours recorded (one
//! course taken twice, one certificate uploaded); specialist2@demo holds a
//! Pennsylvania CPS credential well inside its period. All synthetic.

use jiff::civil::Date;
use jiff::Span;
use lantern_domain::certification::{rule, NewCredential, NewTraining};

use crate::certifications::Certificate;
use crate::users::Who;
use crate::{Result, Store};

/// A tiny, valid-looking PDF: enough for the certificate link to open.
const DEMO_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

fn days(d: Date, n: i32) -> Date {
    d.checked_add(Span::new().days(n)).unwrap_or(d)
}

fn cred(rule_id: &str, number: &str, expires_on: Date) -> NewCredential {
    let r = rule(rule_id).expect("a shipped rule");
    NewCredential {
        rule_id: r.id.clone(),
        board: r.board.clone(),
        credential_number: number.into(),
        certified_on: expires_on.checked_sub(Span::new().months(r.period_months)).unwrap_or(expires_on),
        expires_on,
    }
}

fn training(title: &str, provider: &str, on: Date, minutes: i64, cats: &[(&str, i64)], course: &str) -> NewTraining {
    NewTraining {
        title: title.into(),
        provider: provider.into(),
        completed_on: on,
        minutes,
        category_minutes: cats.iter().map(|(k, m)| (k.to_string(), *m)).collect(),
        course_id: course.into(),
        delivery: "live_online".into(),
        approval_number: String::new(),
    }
}

impl Store {
    pub(crate) async fn demo_certifications(&self, org_id: i64, specialist: i64, specialist2: i64, as_of: Date) -> Result<()> {
        let who = Who::default();
        self.add_credential(org_id, specialist, &cred("icrc-pr", "PR-DEMO-0412", days(as_of, 80)), &who).await?;
        let pdf = Certificate { content_type: "application/pdf".into(), file_name: "ethics-certificate.pdf".into(), bytes: DEMO_PDF.to_vec() };
        let list = [
            training("Ethics and boundaries in peer support", "Riverbend Training Collaborative", days(as_of, -300), 120, &[("ethics", 120)], "RTC-ETH-201"),
            training("Motivational conversations for peers", "Regional Recovery Network", days(as_of, -220), 360, &[("peer", 360)], "RRN-MI-110"),
            training("Naloxone and overdose response", "County Health Department", days(as_of, -150), 90, &[("hiv_bbp", 30)], ""),
            // Taken again as a refresher: the renewal rule decides whether it counts twice.
            training("Motivational conversations for peers", "Regional Recovery Network", days(as_of, -40), 360, &[("peer", 360)], "RRN-MI-110"),
        ];
        for (i, t) in list.iter().enumerate() {
            self.add_training(org_id, specialist, t, if i == 0 { Some(&pdf) } else { None }, &who).await?;
        }
        self.add_credential(org_id, specialist2, &cred("pa-cps", "CPS-DEMO-7781", days(as_of, 420)), &who).await?;
        for t in [
            training("Recovery-oriented language", "Pennsylvania Peer Learning Circle", days(as_of, -200), 180, &[("peer", 180)], "PPLC-12"),
            training("Confidentiality and mandated reporting", "Pennsylvania Peer Learning Circle", days(as_of, -90), 180, &[("ethics", 180)], "PPLC-19"),
        ] {
            self.add_training(org_id, specialist2, &t, None, &who).await?;
        }
        Ok(())
    }
}
