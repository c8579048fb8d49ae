// One diesel schema for both backends, generated once from the PostgreSQL migration and kept
// by hand since (diesel print-schema differs per backend). A test checks it against both.

diesel::table! {
    schemes (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        kind -> Text,
        covers -> Text,
        languages -> Text,
        reference_prefix -> Text,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    scheme_rules (id) {
        id -> BigInt,
        scheme_id -> BigInt,
        valid_from -> Date,
        complaint_fee_cents -> BigInt,
        fee_refund -> Text,
        min_claim_cents -> Nullable<BigInt>,
        max_claim_cents -> Nullable<BigInt>,
        provider_answer_period -> Text,
        filing_limit -> Text,
        membership_date_basis -> Text,
        defence_term -> Text,
        reply_term -> Text,
        information_term -> Text,
        fee_term -> Text,
        reaction_term -> Text,
        refusal_term -> Text,
        outcome_target -> Text,
        ruling_term_after_hearing -> Text,
        compliance_term -> Text,
        settlement_compliance_term -> Text,
        panel_size -> Integer,
        guarantee_cap_cents -> Nullable<BigInt>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    guarantors (id) {
        id -> BigInt,
        name -> Text,
        kind -> Text,
        contact_email -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    providers (id) {
        id -> BigInt,
        kvk_number -> Text,
        legal_name -> Text,
        trade_names -> Text,
        search_text -> Text,
        street -> Text,
        postcode -> Text,
        city -> Text,
        country -> Text,
        website -> Text,
        complaint_email -> Text,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    memberships (id) {
        id -> BigInt,
        provider_id -> BigInt,
        scheme_id -> BigInt,
        valid_from -> Date,
        valid_until -> Nullable<Date>,
        via -> Text,
        guarantor_id -> Nullable<BigInt>,
        status -> Text,
        specialisms -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        provider_id -> Nullable<BigInt>,
        is_org_admin -> Bool,
        language -> Text,
        notify_by_email -> Bool,
        email_confirmed_at -> Nullable<Timestamp>,
        deactivated_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    mediator_profiles (user_id) {
        user_id -> BigInt,
        panel_role -> Text,
        languages -> Text,
        expertise -> Text,
        active -> Bool,
    }
}

diesel::table! {
    mediator_schemes (user_id,scheme_id) {
        user_id -> BigInt,
        scheme_id -> BigInt,
    }
}

diesel::table! {
    mediator_conflicts (user_id,provider_id) {
        user_id -> BigInt,
        provider_id -> BigInt,
        reason -> Text,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        user_agent -> Text,
        client_ip -> Text,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        token_hash -> Text,
        scope -> Text,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    used_tokens (jti) {
        jti -> Text,
        used_at -> Timestamp,
    }
}

diesel::table! {
    intake_drafts (id) {
        id -> BigInt,
        consumer_id -> BigInt,
        step -> Text,
        answers -> Text,
        waiting_until -> Nullable<Date>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        case_id -> Nullable<BigInt>,
        forwarded_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    case_reference_counters (scheme_id,year) {
        scheme_id -> BigInt,
        year -> Integer,
        last_number -> BigInt,
    }
}

diesel::table! {
    cases (id) {
        id -> BigInt,
        reference -> Text,
        scheme_id -> BigInt,
        rules_id -> BigInt,
        consumer_id -> BigInt,
        provider_id -> BigInt,
        category -> Text,
        language -> Text,
        state -> Text,
        state_entered_at -> Timestamp,
        state_due_on -> Nullable<Date>,
        version -> Integer,
        contract_date -> Nullable<Date>,
        written_complaint_date -> Date,
        written_complaint_channel -> Text,
        provider_answer_date -> Nullable<Date>,
        provider_final_answer -> Bool,
        claim_cents -> Nullable<BigInt>,
        desired_outcome -> Text,
        description -> Text,
        private_note -> Text,
        fee_cents -> BigInt,
        fee_status -> Text,
        deposit_cents -> BigInt,
        complete_on -> Nullable<Date>,
        outcome_due_on -> Nullable<Date>,
        submitted_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        anonymised_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    case_events (id) {
        id -> BigInt,
        case_id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        actor_role -> Text,
        kind -> Text,
        from_state -> Nullable<Text>,
        to_state -> Nullable<Text>,
        detail -> Text,
    }
}

diesel::table! {
    case_assignments (id) {
        id -> BigInt,
        case_id -> BigInt,
        user_id -> BigInt,
        panel_role -> Text,
        status -> Text,
        reason -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    messages (id) {
        id -> BigInt,
        case_id -> BigInt,
        author_id -> BigInt,
        body -> Text,
        visibility -> Text,
        moderation -> Text,
        reply_due_on -> Nullable<Date>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    documents (id) {
        id -> BigInt,
        case_id -> Nullable<BigInt>,
        draft_id -> Nullable<BigInt>,
        uploaded_by -> BigInt,
        kind -> Text,
        file_name -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        storage_key -> Text,
        visibility -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    offers (id) {
        id -> BigInt,
        case_id -> BigInt,
        made_by -> BigInt,
        made_by_role -> Text,
        amount_cents -> Nullable<BigInt>,
        actions -> Text,
        terms -> Text,
        expires_on -> Date,
        status -> Text,
        replaces_offer_id -> Nullable<BigInt>,
        responded_by -> Nullable<BigInt>,
        responded_at -> Nullable<Timestamp>,
        response_reason -> Text,
        created_at -> Timestamp,
        consumer_accepted_at -> Nullable<Timestamp>,
        provider_accepted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    hearings (id) {
        id -> BigInt,
        case_id -> BigInt,
        starts_at -> Timestamp,
        location -> Text,
        video_link -> Text,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        sequence -> Integer,
    }
}

diesel::table! {
    rulings (id) {
        id -> BigInt,
        case_id -> BigInt,
        status -> Text,
        outcome -> Text,
        award_cents -> Nullable<BigInt>,
        award_actions -> Text,
        fee_refund_cents -> BigInt,
        deposit_decision -> Text,
        reasoning -> Text,
        summary -> Text,
        language -> Text,
        compliance_due_on -> Nullable<Date>,
        corrects_ruling_id -> Nullable<BigInt>,
        drafted_by -> BigInt,
        issued_by -> Nullable<BigInt>,
        issued_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    published_rulings (id) {
        id -> BigInt,
        ruling_id -> BigInt,
        scheme_id -> BigInt,
        provider_id -> Nullable<BigInt>,
        reference -> Text,
        category -> Text,
        year -> Integer,
        outcome -> Text,
        summary -> Text,
        body -> Text,
        status -> Text,
        published_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    compliance_reports (id) {
        id -> BigInt,
        case_id -> BigInt,
        kind -> Text,
        note -> Text,
        document_id -> Nullable<BigInt>,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    guarantee_claims (id) {
        id -> BigInt,
        case_id -> BigInt,
        guarantor_id -> Nullable<BigInt>,
        amount_cents -> BigInt,
        status -> Text,
        opened_at -> Timestamp,
        paid_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    ratings (id) {
        id -> BigInt,
        case_id -> BigInt,
        provider_id -> BigInt,
        score -> Integer,
        comment -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        entity -> Text,
        entity_id -> BigInt,
        action -> Text,
        detail -> Text,
    }
}

diesel::table! {
    jobs (id) {
        id -> BigInt,
        kind -> Text,
        payload -> Text,
        dedup_key -> Nullable<Text>,
        run_at -> Timestamp,
        attempts -> Integer,
        locked_until -> Nullable<Timestamp>,
        locked_by -> Nullable<Text>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(scheme_rules -> schemes (scheme_id));

diesel::joinable!(memberships -> providers (provider_id));

diesel::joinable!(memberships -> schemes (scheme_id));

diesel::joinable!(memberships -> guarantors (guarantor_id));

diesel::joinable!(users -> providers (provider_id));

diesel::joinable!(mediator_profiles -> users (user_id));

diesel::joinable!(mediator_schemes -> users (user_id));

diesel::joinable!(mediator_schemes -> schemes (scheme_id));

diesel::joinable!(mediator_conflicts -> users (user_id));

diesel::joinable!(mediator_conflicts -> providers (provider_id));

diesel::joinable!(sessions -> users (user_id));

diesel::joinable!(api_tokens -> users (user_id));

diesel::joinable!(intake_drafts -> users (consumer_id));

diesel::joinable!(case_reference_counters -> schemes (scheme_id));

diesel::joinable!(cases -> schemes (scheme_id));

diesel::joinable!(cases -> scheme_rules (rules_id));

diesel::joinable!(cases -> users (consumer_id));

diesel::joinable!(cases -> providers (provider_id));

diesel::joinable!(case_events -> cases (case_id));

diesel::joinable!(case_events -> users (actor_id));

diesel::joinable!(case_assignments -> cases (case_id));

diesel::joinable!(case_assignments -> users (user_id));

diesel::joinable!(messages -> cases (case_id));

diesel::joinable!(messages -> users (author_id));

diesel::joinable!(documents -> cases (case_id));

diesel::joinable!(documents -> intake_drafts (draft_id));

diesel::joinable!(documents -> users (uploaded_by));

diesel::joinable!(offers -> cases (case_id));

diesel::joinable!(hearings -> cases (case_id));

diesel::joinable!(rulings -> cases (case_id));

diesel::joinable!(published_rulings -> rulings (ruling_id));

diesel::joinable!(published_rulings -> schemes (scheme_id));

diesel::joinable!(published_rulings -> providers (provider_id));

diesel::joinable!(compliance_reports -> cases (case_id));

diesel::joinable!(compliance_reports -> documents (document_id));

diesel::joinable!(compliance_reports -> users (created_by));

diesel::joinable!(guarantee_claims -> cases (case_id));

diesel::joinable!(guarantee_claims -> guarantors (guarantor_id));

diesel::joinable!(ratings -> cases (case_id));

diesel::joinable!(ratings -> providers (provider_id));

diesel::joinable!(audit_log -> users (actor_id));

diesel::allow_tables_to_appear_in_same_query!(
    schemes,
    scheme_rules,
    guarantors,
    providers,
    memberships,
    users,
    mediator_profiles,
    mediator_schemes,
    mediator_conflicts,
    sessions,
    api_tokens,
    used_tokens,
    intake_drafts,
    case_reference_counters,
    cases,
    case_events,
    case_assignments,
    messages,
    documents,
    offers,
    hearings,
    rulings,
    published_rulings,
    compliance_reports,
    guarantee_claims,
    ratings,
    audit_log,
    jobs,
);

diesel::table! {
    rate_limits (bucket, window_start) {
        bucket -> Text,
        window_start -> Timestamp,
        hits -> Integer,
    }
}

diesel::table! {
    provider_search_terms (term, provider_id) {
        term -> Text,
        provider_id -> BigInt,
    }
}

diesel::joinable!(provider_search_terms -> providers (provider_id));

diesel::allow_tables_to_appear_in_same_query!(provider_search_terms, providers);

diesel::table! {
    webhook_endpoints (id) {
        id -> BigInt,
        provider_id -> BigInt,
        url -> Text,
        secret -> Text,
        active -> Bool,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        endpoint_id -> BigInt,
        delivery_key -> Text,
        case_event_id -> BigInt,
        event_kind -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        last_status_code -> Nullable<Integer>,
        last_error -> Text,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(webhook_endpoints -> providers (provider_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));

diesel::allow_tables_to_appear_in_same_query!(webhook_endpoints, webhook_deliveries, providers);

diesel::table! {
    extension_requests (id) {
        id -> BigInt,
        case_id -> BigInt,
        requested_by -> BigInt,
        current_due_on -> Date,
        requested_until -> Date,
        reason -> Text,
        status -> Text,
        decided_by -> Nullable<BigInt>,
        decided_until -> Nullable<Date>,
        decision_reason -> Text,
        created_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(extension_requests -> cases (case_id));

diesel::allow_tables_to_appear_in_same_query!(extension_requests, cases);
diesel::allow_tables_to_appear_in_same_query!(extension_requests, users);

diesel::table! {
    job_keys (key) {
        key -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    case_figures (case_id) {
        case_id -> BigInt,
        scheme_id -> BigInt,
        provider_id -> BigInt,
        submitted_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        finished -> Integer,
        settled -> Integer,
        on_merits -> Integer,
        upheld -> Integer,
        compliance_known -> Integer,
        complied -> Integer,
        answer_days -> Nullable<Integer>,
    }
}

diesel::table! {
    case_figures_stale (case_id) {
        case_id -> BigInt,
        marked_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(case_figures, case_figures_stale);
diesel::allow_tables_to_appear_in_same_query!(case_figures_stale, cases);

diesel::table! {
    figure_totals (scheme_id, provider_id) {
        scheme_id -> BigInt,
        provider_id -> BigInt,
        cases -> BigInt,
        finished -> BigInt,
        settled -> BigInt,
        on_merits -> BigInt,
        upheld -> BigInt,
        compliance_known -> BigInt,
        complied -> BigInt,
    }
}

diesel::table! {
    figure_answer_days (scheme_id, provider_id, days) {
        scheme_id -> BigInt,
        provider_id -> BigInt,
        days -> Integer,
        cases -> BigInt,
    }
}

diesel::table! {
    figure_totals_since (id) {
        id -> Integer,
        from_day -> Date,
    }
}

diesel::table! {
    registry_revision (id) {
        id -> BigInt,
        revision -> BigInt,
    }
}

diesel::table! {
    /// Grows with every change the public register shows (migration 000014, `publication::cache`).
    register_revision (id) {
        id -> BigInt,
        revision -> BigInt,
    }
}
