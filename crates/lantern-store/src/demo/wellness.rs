//! Demo data for the person's own plans: peer@demo's wellness and action
//! plan, advance directive record (with a small generated synthetic PDF) and
//! self-advocacy plan. Synthetic words only.

use lantern_domain::wellness::{Link, Plan, PlanKind};

use crate::users::Who;
use crate::wellness::NewDocument;
use crate::{Result, Store};

/// A one-page PDF that says plainly it is a synthetic example (valid PDF 1.4,
/// with a correct cross-reference table).
pub fn synthetic_pdf(name: &str) -> Vec<u8> {
    let clean: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == ' ').collect();
    let text = format!(
        "BT /F1 14 Tf 72 720 Td (Synthetic demo document - not a real advance directive) Tj 0 -24 Td (Person: {clean}) Tj 0 -24 Td (Signed copy placeholder for the Lantern demo.) Tj ET"
    );
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{}\nendstream", text.len(), text),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{}\nendobj\n", i + 1, o).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes());
    out
}

pub(crate) async fn generate(store: &Store, org_id: i64, person_id: i64, specialist: i64, peer_user: i64) -> Result<()> {
    let staff = Who { actor_id: Some(specialist), ip: String::new() };
    let peer = Who { actor_id: Some(peer_user), ip: String::new() };
    let wellness = Plan::from_pairs(
        PlanKind::Wellness,
        [
            ("when_well", "I laugh easily, I cook for my cousins on Sundays and I answer my phone."),
            ("daily_routine", "Up by 8, coffee on the porch, a walk to the bay, a check-in text with my sister, meeting on Tuesdays and Thursdays."),
            ("triggers", "Late rent notices. Loud arguments. The anniversary of my father's death in March."),
            ("triggers_plan", "Call Robin the same day, go to the afternoon meeting, write down what I need to ask the landlord."),
            ("early_signs", "I stop cooking, I sleep past noon, I leave texts unanswered."),
            ("early_signs_plan", "Tell my sister, keep my walk even if it is short, book an extra check-in."),
            ("after_crisis", "Ease back in: half days, one friend at a time, no big decisions for two weeks."),
        ],
        vec![],
    );
    store.save_person_plan(org_id, person_id, &wellness, 0, &staff).await?;
    let mut wellness2 = wellness.clone();
    for (k, v) in wellness2.sections.iter_mut() {
        if *k == "crisis_supporters" {
            *v = "Stay with me, speak quietly, remind me of my daughter. Please do not call the police unless someone is in danger.".into();
        }
    }
    store.save_person_plan(org_id, person_id, &wellness2, 1, &peer).await?;

    let pad = Plan::from_pairs(
        PlanKind::AdvanceDirective,
        [
            ("jurisdiction", "Florida"),
            ("form_version", "Demo form 2024"),
            ("signed_on", "2025-03-14"),
            ("agent", "Rosa Example (sister), 305-555-0134"),
            ("alternate_agent", "Luis Example (friend), 305-555-0188"),
            ("medication_preferences", "Sertraline has helped. Please avoid haloperidol: it made me very stiff in 2019."),
            ("facility_preferences", "Prefer the crisis stabilization unit on 5th Street; a peer respite if one has space."),
            ("emergency_interventions", "Talk with me first and give me space. Quiet rooms help; restraint is very frightening for me."),
            ("people_to_notify", "Rosa, and my peer specialist at Riverbend."),
            ("care_of_dependents", "My cat Mango: Rosa has a key and knows her food."),
            ("copies_held_by", "Rosa; my primary care clinic; a copy in this record."),
        ],
        vec![],
    );
    store.save_person_plan(org_id, person_id, &pad, 0, &staff).await?;
    let pdf = synthetic_pdf("Jordan demo");
    store
        .save_pad_document(org_id, person_id, &NewDocument { file_name: "advance-directive-demo.pdf", content_type: "application/pdf", bytes: &pdf }, &staff)
        .await?;

    let advocacy = Plan::from_pairs(
        PlanKind::Advocacy,
        [
            ("goal", "Keep my job at the bakery while I go to my Tuesday appointments."),
            ("ask_for", "A schedule change: start at 11 on Tuesdays and make the hours up on Saturday."),
            ("who_can_help", "Robin will help me write the request; my sister will read it first."),
            ("rights_involved", "The ADA's reasonable accommodations at work."),
            ("next_steps", "Write the request by Friday; ask for the answer in writing."),
        ],
        vec![Link { service_id: String::new(), name: "Disability Rights (demo listing)".into(), phone: "305-555-0150".into() }],
    );
    store.save_person_plan(org_id, person_id, &advocacy, 0, &peer).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_demo_pdf_is_a_pdf_with_a_correct_xref() {
        let pdf = super::synthetic_pdf("Jordan");
        assert!(pdf.starts_with(b"%PDF-1.4"));
        let text = String::from_utf8(pdf.clone()).unwrap();
        let start: usize = text.rsplit("startxref\n").next().unwrap().lines().next().unwrap().parse().unwrap();
        assert!(text[start..].starts_with("xref"));
        let first = text.find("1 0 obj").unwrap();
        assert!(text.contains(&format!("{first:010} 00000 n")));
    }
}
