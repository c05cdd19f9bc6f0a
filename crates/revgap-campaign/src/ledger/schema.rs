//! The ledger's schema, one migration per version (`PRAGMA user_version` = how many ran).
//! Migrations are only ever appended: a released one never changes.

pub const MIGRATIONS: &[&str] = &[
    // 1: campaigns and what the act → learn loop records about them.
    r#"
    CREATE TABLE campaigns (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        status TEXT NOT NULL,
        salt TEXT NOT NULL,
        control_bp INTEGER NOT NULL CHECK (control_bp BETWEEN 500 AND 5000),
        follow_up TEXT NOT NULL,
        analysis TEXT NOT NULL
    );
    CREATE TABLE members (
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        customer_id TEXT NOT NULL,
        arm TEXT NOT NULL CHECK (arm IN ('treated', 'control')),
        stratum TEXT NOT NULL,
        bucket INTEGER NOT NULL,
        channel TEXT,
        offer_id TEXT,
        -- The treated member's address on their channel (control members: none stored).
        address TEXT,
        pre_weekly_spend REAL NOT NULL,
        churn_probability REAL NOT NULL,
        gap REAL NOT NULL,
        PRIMARY KEY (campaign_id, customer_id)
    );
    -- Control members are the measurement: no member ever leaves the ledger.
    CREATE TRIGGER members_are_kept BEFORE DELETE ON members
    BEGIN SELECT RAISE(ABORT, 'campaign members are never deleted'); END;
    CREATE TRIGGER arms_are_locked BEFORE UPDATE OF arm, bucket, stratum ON members
    BEGIN SELECT RAISE(ABORT, 'a member''s arm is fixed at assignment'); END;
    CREATE TABLE exclusions (
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        reason TEXT NOT NULL,
        customers INTEGER NOT NULL,
        PRIMARY KEY (campaign_id, reason)
    );
    CREATE TABLE drafts (
        id INTEGER PRIMARY KEY,
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        customer_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        subject TEXT,
        body TEXT NOT NULL,
        source TEXT NOT NULL,
        passed INTEGER NOT NULL,
        failures TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (campaign_id, customer_id, channel)
    );
    CREATE TABLE actions (
        id INTEGER PRIMARY KEY,
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        customer_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        idempotency_key TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        delivered_at TEXT
    );
    CREATE TABLE delivery_attempts (
        id INTEGER PRIMARY KEY,
        action_id INTEGER NOT NULL REFERENCES actions(id),
        attempted_at TEXT NOT NULL,
        http_status INTEGER,
        error TEXT
    );
    CREATE TABLE suppressions (
        customer_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        reason TEXT NOT NULL,
        added_at TEXT NOT NULL,
        PRIMARY KEY (customer_id, channel)
    );
    CREATE TABLE outcome_snapshots (
        id INTEGER PRIMARY KEY,
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        customer_id TEXT NOT NULL,
        taken_at TEXT NOT NULL,
        window_days INTEGER NOT NULL,
        spend REAL NOT NULL,
        UNIQUE (campaign_id, customer_id, taken_at, window_days)
    );
    "#,
    // 2: drafts the checker rejected (a model's first and second try), kept with the reasons.
    r#"
    CREATE TABLE draft_rejections (
        id INTEGER PRIMARY KEY,
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        customer_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        subject TEXT,
        body TEXT NOT NULL,
        source TEXT NOT NULL,
        passed INTEGER NOT NULL,
        failures TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    "#,
    // 3: what each member would get if treated, and their segment, settled before
    // randomization (both arms), for outcome breakdowns that compare like with like.
    r#"
    ALTER TABLE members ADD COLUMN planned_channel TEXT NOT NULL DEFAULT '';
    ALTER TABLE members ADD COLUMN planned_offer TEXT;
    ALTER TABLE members ADD COLUMN segment TEXT NOT NULL DEFAULT '';
    "#,
    // 4: outcome snapshots packed per measurement and window (one row per member and window
    // was 600k rows, 2 s, for a 200k-member campaign): the customers once, in order, then each
    // window's mean weekly spend as little-endian f64 in that order. `outcome_snapshots` (v1)
    // stays, unused.
    r#"
    CREATE TABLE outcome_measurements (
        id INTEGER PRIMARY KEY,
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        taken_at TEXT NOT NULL,
        source TEXT NOT NULL,
        follow_up_start TEXT NOT NULL,
        customers TEXT NOT NULL
    );
    CREATE TABLE outcome_windows (
        measurement_id INTEGER NOT NULL REFERENCES outcome_measurements(id),
        window_days INTEGER NOT NULL,
        spend BLOB NOT NULL,
        PRIMARY KEY (measurement_id, window_days)
    );
    "#,
    // 5: what the model cost, per command run that asked it (the success metrics' system
    // figures). Tokens: the prompt's estimate and the answer's streamed tokens.
    r#"
    CREATE TABLE llm_usage (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        command TEXT NOT NULL,
        calls INTEGER NOT NULL,
        cached INTEGER NOT NULL,
        prompt_tokens INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL
    );
    "#,
    // 6: a send claims each action before it sends it (the claimer and when its lease ends,
    // in Unix milliseconds), so two senders of one campaign never send one member twice; an
    // expired lease (a sender that died) is taken over.
    r#"
    ALTER TABLE actions ADD COLUMN claimed_by TEXT;
    ALTER TABLE actions ADD COLUMN lease_until INTEGER;
    "#,
    // 7: a campaign may have no control group (`--no-control`: control_bp 0, unmeasurable),
    // so the campaigns table is rebuilt with the wider check (SQLite cannot alter a CHECK;
    // the runner turns foreign keys off around migrations); a campaign's measurement window
    // (when overlapping campaigns stop sharing customers); and the suppression list (emails,
    // phones and ids no campaign contacts, with reason and date).
    r#"
    CREATE TABLE campaigns_v7 (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        status TEXT NOT NULL,
        salt TEXT NOT NULL,
        control_bp INTEGER NOT NULL CHECK (control_bp = 0 OR control_bp BETWEEN 500 AND 5000),
        follow_up TEXT NOT NULL,
        analysis TEXT NOT NULL,
        window_ends TEXT
    );
    INSERT INTO campaigns_v7 (id, name, created_at, status, salt, control_bp, follow_up, analysis)
        SELECT id, name, created_at, status, salt, control_bp, follow_up, analysis FROM campaigns;
    DROP TABLE campaigns;
    ALTER TABLE campaigns_v7 RENAME TO campaigns;
    CREATE TABLE suppression_list (
        kind TEXT NOT NULL CHECK (kind IN ('customer_id', 'email', 'phone')),
        value TEXT NOT NULL,
        reason TEXT NOT NULL,
        added_at TEXT NOT NULL,
        source TEXT NOT NULL,
        PRIMARY KEY (kind, value)
    );
    "#,
];
