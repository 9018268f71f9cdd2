/// The application's schema, as numbered migrations, each written for SQLite and for PostgreSQL.
/// Dates are ISO 8601 text (`2026-11-23`), the same in both.
public enum AppSchema {
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        let sqlite: String
        let postgres: String

        func sql(postgres: Bool) -> String { postgres ? self.postgres : sqlite }
    }

    public static let migrations: [Migration] = [
        Migration(version: 1, name: "users, roles, students, campaigns, requests, reminders, files", sqlite: """
            CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL);
            CREATE TABLE role_assignments (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL REFERENCES users(id),
                role TEXT NOT NULL, starts_on TEXT NOT NULL, ends_on TEXT);
            CREATE TABLE user_roles (user_id INTEGER NOT NULL REFERENCES users(id), role TEXT NOT NULL, computed_on TEXT NOT NULL,
                PRIMARY KEY (user_id, role));
            CREATE TABLE students (id INTEGER PRIMARY KEY AUTOINCREMENT, student_number TEXT NOT NULL UNIQUE, email TEXT NOT NULL,
                name TEXT NOT NULL, created_at TEXT NOT NULL);
            CREATE TABLE enrollments (id INTEGER PRIMARY KEY AUTOINCREMENT, student_id INTEGER NOT NULL REFERENCES students(id),
                academic_year TEXT NOT NULL, program TEXT NOT NULL, stage TEXT NOT NULL, fetched_at TEXT NOT NULL,
                UNIQUE (student_id, academic_year, program));
            CREATE TABLE campaigns (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, archive_on TEXT);
            CREATE TABLE requests (id INTEGER PRIMARY KEY AUTOINCREMENT, campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
                student_id INTEGER NOT NULL REFERENCES students(id),
                state TEXT NOT NULL CHECK (state IN ('draft', 'submitted', 'accepted', 'refused')), updated_at TEXT NOT NULL);
            CREATE INDEX requests_campaign_state ON requests (campaign_id, state);
            CREATE TABLE hr_periods (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL REFERENCES users(id),
                label TEXT NOT NULL, ends_on TEXT NOT NULL);
            CREATE TABLE interventions (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, starts_on TEXT NOT NULL,
                contact_email TEXT NOT NULL);
            CREATE TABLE uploaded_files (id INTEGER PRIMARY KEY AUTOINCREMENT, path TEXT NOT NULL UNIQUE, uploaded_at TEXT NOT NULL);
            """, postgres: """
            CREATE TABLE users (id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL);
            CREATE TABLE role_assignments (id BIGSERIAL PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users(id),
                role TEXT NOT NULL, starts_on TEXT NOT NULL, ends_on TEXT);
            CREATE TABLE user_roles (user_id BIGINT NOT NULL REFERENCES users(id), role TEXT NOT NULL, computed_on TEXT NOT NULL,
                PRIMARY KEY (user_id, role));
            CREATE TABLE students (id BIGSERIAL PRIMARY KEY, student_number TEXT NOT NULL UNIQUE, email TEXT NOT NULL,
                name TEXT NOT NULL, created_at TEXT NOT NULL);
            CREATE TABLE enrollments (id BIGSERIAL PRIMARY KEY, student_id BIGINT NOT NULL REFERENCES students(id),
                academic_year TEXT NOT NULL, program TEXT NOT NULL, stage TEXT NOT NULL, fetched_at TEXT NOT NULL,
                UNIQUE (student_id, academic_year, program));
            CREATE TABLE campaigns (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, archive_on TEXT);
            CREATE TABLE requests (id BIGSERIAL PRIMARY KEY, campaign_id BIGINT NOT NULL REFERENCES campaigns(id),
                student_id BIGINT NOT NULL REFERENCES students(id),
                state TEXT NOT NULL CHECK (state IN ('draft', 'submitted', 'accepted', 'refused')), updated_at TEXT NOT NULL);
            CREATE INDEX requests_campaign_state ON requests (campaign_id, state);
            CREATE TABLE hr_periods (id BIGSERIAL PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users(id),
                label TEXT NOT NULL, ends_on TEXT NOT NULL);
            CREATE TABLE interventions (id BIGSERIAL PRIMARY KEY, title TEXT NOT NULL, starts_on TEXT NOT NULL,
                contact_email TEXT NOT NULL);
            CREATE TABLE uploaded_files (id BIGSERIAL PRIMARY KEY, path TEXT NOT NULL UNIQUE, uploaded_at TEXT NOT NULL);
            """),
        Migration(version: 2, name: "technical errors, grouped by fingerprint", sqlite: """
            CREATE TABLE technical_errors (fingerprint TEXT PRIMARY KEY, source TEXT NOT NULL, message TEXT NOT NULL,
                first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, occurrences INTEGER NOT NULL,
                mailed_occurrences INTEGER NOT NULL DEFAULT 0, mailed_at TEXT);
            """, postgres: """
            CREATE TABLE technical_errors (fingerprint TEXT PRIMARY KEY, source TEXT NOT NULL, message TEXT NOT NULL,
                first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, occurrences BIGINT NOT NULL,
                mailed_occurrences BIGINT NOT NULL DEFAULT 0, mailed_at TEXT);
            """),
        Migration(version: 3, name: "avis ESE, their computed states and reminders", sqlite: """
            CREATE TABLE avis_ese (id INTEGER PRIMARY KEY AUTOINCREMENT, student_id INTEGER NOT NULL REFERENCES students(id),
                requested_on TEXT NOT NULL, issued_on TEXT, valid_until TEXT,
                CHECK ((issued_on IS NULL) = (valid_until IS NULL)));
            CREATE INDEX avis_ese_student ON avis_ese (student_id, requested_on);
            CREATE TABLE avis_ese_states (student_id INTEGER PRIMARY KEY REFERENCES students(id), avis_id INTEGER NOT NULL REFERENCES avis_ese(id),
                state TEXT NOT NULL CHECK (state IN ('pending', 'valid', 'expiring', 'expired')), valid_until TEXT, computed_on TEXT NOT NULL);
            CREATE TABLE avis_ese_reminders (avis_id INTEGER PRIMARY KEY REFERENCES avis_ese(id), sent_on TEXT NOT NULL);
            """, postgres: """
            CREATE TABLE avis_ese (id BIGSERIAL PRIMARY KEY, student_id BIGINT NOT NULL REFERENCES students(id),
                requested_on TEXT NOT NULL, issued_on TEXT, valid_until TEXT,
                CHECK ((issued_on IS NULL) = (valid_until IS NULL)));
            CREATE INDEX avis_ese_student ON avis_ese (student_id, requested_on);
            CREATE TABLE avis_ese_states (student_id BIGINT PRIMARY KEY REFERENCES students(id), avis_id BIGINT NOT NULL REFERENCES avis_ese(id),
                state TEXT NOT NULL CHECK (state IN ('pending', 'valid', 'expiring', 'expired')), valid_until TEXT, computed_on TEXT NOT NULL);
            CREATE TABLE avis_ese_reminders (avis_id BIGINT PRIMARY KEY REFERENCES avis_ese(id), sent_on TEXT NOT NULL);
            """),
        Migration(version: 4, name: "generated documents", sqlite: """
            CREATE TABLE documents (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, subject_id INTEGER NOT NULL, version INTEGER NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('queued', 'generated')), message_id TEXT, path TEXT, checksum TEXT, pages INTEGER, bytes INTEGER,
                requested_at TEXT NOT NULL, generated_at TEXT, UNIQUE (kind, subject_id, version));
            """, postgres: """
            CREATE TABLE documents (id BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, subject_id BIGINT NOT NULL, version INTEGER NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('queued', 'generated')), message_id TEXT, path TEXT, checksum TEXT, pages INTEGER, bytes BIGINT,
                requested_at TEXT NOT NULL, generated_at TEXT, UNIQUE (kind, subject_id, version));
            """),
    ]
}
