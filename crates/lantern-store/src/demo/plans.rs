//! Demo recovery plan for peer@demo: an agreed version (agreed in their
//! portal), a newer draft in which one goal is reached (a milestone on the
//! timeline), a celebration and a recovery anniversary they chose to share.
//! Synthetic words only.

use jiff::civil::Date;
use jiff::ToSpan;
use lantern_domain::recovery_plan::{DimensionSet, Goal, GoalStatus, Milestone, MilestoneKind, PlanContent, Step, StepStatus};

use crate::recovery_plans::AgreedHow;
use crate::users::Who;
use crate::{Result, Store};

fn step(what: &str, who: &str, by: Option<Date>, status: StepStatus) -> Step {
    Step { what: what.into(), who: who.into(), by_when: by, status }
}

pub(super) async fn generate(store: &Store, org_id: i64, person: i64, specialist: i64, peer_user: i64) -> Result<()> {
    let today = store.today(org_id).await?;
    let d = |days: i64| today.checked_add(days.days()).unwrap_or(today);
    let s = Who { actor_id: Some(specialist), ip: String::new() };
    let me = Who { actor_id: Some(peer_user), ip: String::new() };
    let mut plan = PlanContent {
        dimensions: DimensionSet::Recovery,
        strengths: "I keep showing up, even on hard days. I'm good with my hands and I make people laugh.\nMy sister Rosa and my dog Pepper.".into(),
        goals: vec![
            Goal {
                key: "g1".into(),
                dimension: "home".into(),
                in_my_words: "A place of my own where I can have my daughter over".into(),
                staff_summary: "Stable housing".into(),
                status: GoalStatus::Working,
                steps: vec![
                    step("Fill in the housing application", "me, with Robin", Some(d(7)), StepStatus::InProgress),
                    step("Get a copy of my ID", "me", Some(d(14)), StepStatus::NotStarted),
                ],
            },
            Goal {
                key: "g2".into(),
                dimension: "health".into(),
                in_my_words: "Sleep through the night most nights".into(),
                staff_summary: String::new(),
                status: GoalStatus::Working,
                steps: vec![step("Walk Pepper every evening", "me", None, StepStatus::InProgress)],
            },
            Goal {
                key: "g3".into(),
                dimension: "community".into(),
                in_my_words: "Go to the Thursday peer group and say something".into(),
                staff_summary: String::new(),
                status: GoalStatus::Working,
                steps: vec![step("Go with Robin the first time", "Robin", Some(d(3)), StepStatus::NotStarted)],
            },
        ],
        review_on: Some(d(10)),
    };
    let rev = store.save_plan_draft(org_id, person, &plan, 0, &s).await?;
    store.add_plan_comment(org_id, person, "Can we add something about work? I'd like to get back to fixing bikes.", &me).await?;
    let rev = {
        plan.goals.push(Goal {
            key: "g4".into(),
            dimension: "purpose".into(),
            in_my_words: "Fix bikes again, maybe at the co-op".into(),
            staff_summary: "Volunteer / vocational".into(),
            status: GoalStatus::Working,
            steps: vec![step("Visit the bike co-op on Saturday", "me and Rosa", Some(d(5)), StepStatus::NotStarted)],
        });
        store.save_plan_draft(org_id, person, &plan, rev, &s).await?
    };
    store.agree_plan(org_id, person, rev, AgreedHow::Portal, "", &me).await?;
    // The next round: the group goal is reached, the housing steps moved on.
    let mut next = plan.clone();
    next.goals[2].status = GoalStatus::Reached;
    next.goals[2].steps[0].status = StepStatus::Done;
    next.goals[0].steps[0].status = StepStatus::Done;
    next.goals[0].steps.push(step("Go to the housing interview", "me, Robin drives", Some(d(21)), StepStatus::NotStarted));
    next.review_on = Some(d(40));
    store.save_plan_draft(org_id, person, &next, rev + 1, &s).await?;
    store
        .add_milestone(org_id, person, &Milestone { kind: MilestoneKind::Celebration, title: "Cooked dinner for Rosa".into(), on_date: d(-4), show_in_portal: true }, &me)
        .await?;
    let since = Date::new(today.year() - 3, today.month(), 1).unwrap_or(today);
    store.add_milestone(org_id, person, &Milestone { kind: MilestoneKind::Anniversary, title: String::new(), on_date: since, show_in_portal: true }, &me).await?;
    Ok(())
}
