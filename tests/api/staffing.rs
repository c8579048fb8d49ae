//! Staffing a case through its page: proposal, confirmation, recusal, challenge and decision,
//! each by the roles that may, refused (404) to everyone else.

use diesel::prelude::*;
use geschillenportaal::db::schema::{case_assignments, case_events, cases, mediator_conflicts, users};
use geschillenportaal::registry::rules::SchemeRules;

use crate::helpers::*;

async fn event_kinds(app: &TestApp, case_id: i64) -> Vec<String> {
    app.with_db(move |conn| {
        case_events::table
            .filter(case_events::case_id.eq(case_id))
            .order(case_events::id)
            .select(case_events::kind)
            .load(conn)
            .unwrap()
    })
    .await
}

/// Gives OTHER_MEDIATOR a profile for the case's scheme, with a declared conflict with its provider.
async fn other_mediator_on_the_scheme_with_a_conflict(app: &TestApp, case_id: i64) {
    app.mediator_of_the_case_scheme(case_id, OTHER_MEDIATOR).await;
    app.with_db(move |conn| {
        let provider_id: i64 = cases::table
            .find(case_id)
            .select(cases::provider_id)
            .first(conn)
            .unwrap();
        let mediator = user_id(conn, OTHER_MEDIATOR);
        diesel::insert_into(mediator_conflicts::table)
            .values((
                mediator_conflicts::user_id.eq(mediator),
                mediator_conflicts::provider_id.eq(provider_id),
                mediator_conflicts::reason.eq("vroeger in dienst"),
            ))
            .execute(conn)
            .unwrap();
    })
    .await;
}

fn notice_of(response: &reqwest::Response) -> String {
    location(response)
        .split("notice=")
        .nth(1)
        .unwrap_or_default()
        .split('#')
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_recused_mediator_is_replaced_challenged_and_removed_through_the_case_page() {
    let app = spawn_app().await;
    let rules = SchemeRules {
        panel_size: 1,
        ..SchemeRules::commission_defaults()
    };
    let case_id = app.seed_case_with(rules).await.case_id;
    let page = format!("/zaken/{case_id}");
    let secretariat = app.client_for(SECRETARIAT).await;
    let consumer = app.client_for(CONSUMER).await;
    let staff = app.client_for(STAFF).await;
    let mediator = app.client_for(MEDIATOR).await;
    other_mediator_on_the_scheme_with_a_conflict(&app, case_id).await;

    // Only the secretariat sees the staffing buttons; only the member sees the recusal form.
    let (_, html) = app.page_as(&secretariat, &page).await;
    assert!(html.contains("name=\"step\" value=\"propose\""));
    let (_, html) = app.page_as(&consumer, &page).await;
    assert!(!html.contains("value=\"propose\""));
    assert!(html.contains("/wraken"), "a party may challenge");
    let (_, html) = app.page_as(&mediator, &page).await;
    assert!(html.contains("/terugtrekken"));
    assert!(!html.contains("/wraken"), "a member does not challenge");

    // The mediator steps down and loses sight of the case.
    let seat = app
        .with_db(move |conn| {
            case_assignments::table
                .filter(case_assignments::case_id.eq(case_id))
                .select(case_assignments::id)
                .first::<i64>(conn)
                .unwrap()
        })
        .await;
    let recuse = format!("/zaken/{case_id}/toewijzing/{seat}/terugtrekken");
    let other_mediator = app.client_for(OTHER_MEDIATOR).await;
    assert_eq!(
        app.post_as(&other_mediator, &recuse, &[("reason", "niet mijn zetel")])
            .await
            .status(),
        404
    );
    assert_eq!(app.post_as(&mediator, &recuse, &[("reason", "")]).await.status(), 400);
    let response = app
        .post_as(&mediator, &recuse, &[("reason", "Ik ken de consument.")])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(app.page_as(&mediator, &page).await.0, 404);

    // The only other mediator has a conflict with the provider: no proposal, nothing written.
    let propose = format!("/zaken/{case_id}/toewijzing");
    assert_eq!(
        app.post_as(&consumer, &propose, &[("step", "propose")]).await.status(),
        404
    );
    let response = app.post_as(&secretariat, &propose, &[("step", "propose")]).await;
    assert_eq!(notice_of(&response), "notice-no-eligible-mediator");
    assert_eq!(app.seats_of(case_id).await.len(), 1);
    let response = app.post_as(&secretariat, &propose, &[("step", "confirm")]).await;
    assert_eq!(notice_of(&response), "notice-nothing-to-confirm");

    // Without the conflict the other mediator is proposed, then confirmed.
    app.with_db(|conn| diesel::delete(mediator_conflicts::table).execute(conn).unwrap())
        .await;
    let response = app.post_as(&secretariat, &propose, &[("step", "propose")]).await;
    assert_eq!(notice_of(&response), "notice-assignment-proposed");
    let (_, html) = app.page_as(&secretariat, &location(&response)).await;
    assert!(
        html.contains("Voorstel bevestigen"),
        "the proposal waits for confirmation"
    );
    let response = app.post_as(&secretariat, &propose, &[("step", "confirm")]).await;
    assert_eq!(notice_of(&response), "notice-assignment-confirmed");
    let staffed = app.seats_of(case_id).await;
    assert_eq!(
        staffed,
        vec![
            (MEDIATOR.into(), "chair".into(), "recused".into()),
            (OTHER_MEDIATOR.into(), "sole_mediator".into(), "confirmed".into()),
        ]
    );
    assert_eq!(app.page_as(&other_mediator, &page).await.0, 200);

    // The consumer challenges the new mediator; a stranger cannot.
    let new_seat = app
        .with_db(move |conn| {
            case_assignments::table
                .filter(case_assignments::case_id.eq(case_id))
                .filter(case_assignments::status.eq("confirmed"))
                .select(case_assignments::id)
                .first::<i64>(conn)
                .unwrap()
        })
        .await;
    let challenge = format!("/zaken/{case_id}/toewijzing/{new_seat}/wraken");
    let stranger = app.client_for(OTHER_CONSUMER).await;
    assert_eq!(
        app.post_as(&stranger, &challenge, &[("reason", "zomaar")])
            .await
            .status(),
        404
    );
    let grounds = "De bemiddelaar werkte <b>vorig jaar</b> voor de aanbieder.";
    let response = app.post_as(&consumer, &challenge, &[("reason", grounds)]).await;
    assert_eq!(notice_of(&response), "notice-challenge-filed");
    let (_, html) = app.page_as(&secretariat, &page).await;
    assert!(
        html.contains("De bemiddelaar werkte &lt;b&gt;vorig jaar&lt;/b&gt;"),
        "grounds shown, escaped"
    );
    let (_, html) = app.page_as(&staff, &page).await;
    assert!(
        html.contains("vorig jaar"),
        "both parties read the grounds in the timeline"
    );
    assert!(!html.contains("/beslissen"), "only the secretariat decides");

    // Only the secretariat decides; upheld, the member leaves the case.
    let decide = format!("/zaken/{case_id}/toewijzing/{new_seat}/beslissen");
    let decision = [("decision", "uphold"), ("reason", "Schijn van partijdigheid.")];
    assert_eq!(app.post_as(&staff, &decide, &decision).await.status(), 404);
    assert_eq!(
        app.post_as(&secretariat, &decide, &[("decision", "maybe"), ("reason", "x")])
            .await
            .status(),
        400
    );
    let response = app.post_as(&secretariat, &decide, &decision).await;
    assert_eq!(notice_of(&response), "notice-challenge-decided");
    assert_eq!(app.page_as(&other_mediator, &page).await.0, 404);
    // Deciding twice finds no challenge left.
    assert_eq!(app.post_as(&secretariat, &decide, &decision).await.status(), 404);

    assert_eq!(
        event_kinds(&app, case_id).await[1..],
        [
            "assignment_recused",
            "assignment_proposed",
            "assignment_confirmed",
            "assignment_challenged",
            "challenge_upheld"
        ]
    );
    let (_, html) = app.page_as(&consumer, &page).await;
    assert!(html.contains("Wraking toegewezen"), "the timeline names the decision");
}

#[tokio::test]
async fn a_mediator_declares_a_conflict_of_interest_and_is_told_where_they_still_sit() {
    let app = spawn_app().await;
    let case_id = app.seed_case().await.case_id;
    let mediator = app.client_for(MEDIATOR).await;
    let consumer = app.client_for(CONSUMER).await;
    assert_eq!(app.page_as(&consumer, "/settings/conflicts").await.0, 404);
    assert!(
        !app.page_as(&consumer, "/settings")
            .await
            .1
            .contains("/settings/conflicts")
    );
    assert!(
        app.page_as(&mediator, "/settings")
            .await
            .1
            .contains("/settings/conflicts")
    );
    assert_eq!(
        app.post_as(&consumer, "/settings/conflicts", &[("kvk", "11111111"), ("reason", "")])
            .await
            .status(),
        404
    );
    let (status, html) = app.page_as(&mediator, "/settings/conflicts").await;
    assert_eq!(status, 200);
    assert!(html.contains("geen belangenconflicten"));

    // Bad input is refused beside the field, with what was typed kept.
    let response = app
        .post_as(
            &mediator,
            "/settings/conflicts",
            &[("kvk", "1234abcd"), ("reason", "oud-werkgever")],
        )
        .await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("value=\"1234abcd\"") && html.contains(">oud-werkgever</textarea>"));
    let response = app
        .post_as(
            &mediator,
            "/settings/conflicts",
            &[("kvk", "9999 9999"), ("reason", "")],
        )
        .await;
    assert_eq!(response.status(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("geen aanbieder met dit KvK-nummer")
    );

    let response = app
        .post_as(
            &mediator,
            "/settings/conflicts",
            &[("kvk", "1111 1111"), ("reason", "Oud-werkgever")],
        )
        .await;
    assert_eq!(
        location(&response),
        "/settings/conflicts?notice=notice-conflict-declared"
    );
    let (_, html) = app.page_as(&mediator, "/settings/conflicts").await;
    assert!(html.contains("Glasvezel Aanbieder B.V.") && html.contains("Oud-werkgever"));
    assert!(
        html.contains(&format!("/zaken/{case_id}#bemanning")),
        "names the case they still sit on"
    );
    let (declared, audited) = app
        .with_db(|conn| {
            use geschillenportaal::db::schema::audit_log;
            let declared: i64 = mediator_conflicts::table.count().get_result(conn).unwrap();
            let audited: i64 = audit_log::table
                .filter(audit_log::action.eq("conflict_declared"))
                .count()
                .get_result(conn)
                .unwrap();
            (declared, audited)
        })
        .await;
    assert_eq!((declared, audited), (1, 1));

    let provider_id = app
        .with_db(move |conn| {
            cases::table
                .find(case_id)
                .select(cases::provider_id)
                .first::<i64>(conn)
                .unwrap()
        })
        .await;
    let withdraw = format!("/settings/conflicts/{provider_id}/withdraw");
    assert_eq!(app.post_as(&mediator, &withdraw, &[]).await.status(), 303);
    assert_eq!(app.post_as(&mediator, &withdraw, &[]).await.status(), 404);
    let (_, html) = app.page_as(&mediator, "/settings/conflicts").await;
    assert!(!html.contains("Oud-werkgever"));
}

/// The case page reads the case and its seats in one statement (a row per seat): a panel's three
/// members are each listed once, in the order they were seated, and each may see the case; a member
/// who recused is neither listed nor let in.
#[tokio::test]
async fn a_panel_of_three_is_listed_on_the_case_page_and_each_member_sees_it() {
    let app = spawn_app().await;
    let case_id = app.seed_case().await.case_id;
    let trade = app
        .create_user("branche@example.nl", geschillenportaal::accounts::Role::Mediator)
        .await;
    let consumers = app
        .create_user("consumentenlid@example.nl", geschillenportaal::accounts::Role::Mediator)
        .await;
    let former = app
        .create_user("oud-lid@example.nl", geschillenportaal::accounts::Role::Mediator)
        .await;
    app.with_db(move |conn| {
        let now = chrono::Utc::now().naive_utc();
        for (user, name, seat, status) in [
            (former, "Mr. Oud Lid", "trade_member", "recused"),
            (trade, "Ir. Branche Lid", "trade_member", "confirmed"),
            (consumers, "Drs. Consumenten Lid", "consumer_member", "proposed"),
        ] {
            diesel::update(users::table.find(user))
                .set(users::display_name.eq(name))
                .execute(conn)
                .unwrap();
            diesel::insert_into(case_assignments::table)
                .values((
                    case_assignments::case_id.eq(case_id),
                    case_assignments::user_id.eq(user),
                    case_assignments::panel_role.eq(seat),
                    case_assignments::status.eq(status),
                    case_assignments::created_at.eq(now),
                    case_assignments::updated_at.eq(now),
                ))
                .execute(conn)
                .unwrap();
        }
    })
    .await;
    let page = format!("/zaken/{case_id}");
    let secretariat = app.client_for(SECRETARIAT).await;
    let (status, html) = app.page_as(&secretariat, &page).await;
    assert_eq!(status, 200);
    let chair = html.find("(voorzitter)").expect("the chair is listed");
    let trade_seat = html
        .find("Ir. Branche Lid (lid namens de branche)")
        .expect("the trade member");
    let consumer_seat = html
        .find("Drs. Consumenten Lid (lid namens consumenten,")
        .expect("the consumer member, proposed");
    assert!(chair < trade_seat && trade_seat < consumer_seat, "in the order seated");
    for member in [
        "(voorzitter)</li>",
        "<li>Ir. Branche Lid (",
        "<li>Drs. Consumenten Lid (",
    ] {
        assert_eq!(html.matches(member).count(), 1, "{member} listed once");
    }
    assert!(!html.contains("Mr. Oud Lid"), "a recused member is not listed");

    for (email, expected) in [
        (MEDIATOR, 200),
        ("branche@example.nl", 200),
        ("consumentenlid@example.nl", 200),
        ("oud-lid@example.nl", 404),
    ] {
        let member = app.client_for(email).await;
        assert_eq!(app.page_as(&member, &page).await.0, expected, "{email}");
    }
}
