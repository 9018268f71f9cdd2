import Foundation

/// A believable data set for a demonstration: staff with current, past and future role assignments,
/// students, campaigns (one archived with drafts left in it), requests in every state, reminders'
/// sources, avis ESE in every state and uploaded files. Loaded once: a database that has users is left alone.
public enum DemoData {
    /// Loads the data set unless the database already has users; returns whether it did.
    @discardableResult
    public static func seed(_ database: AppDatabase, today: Date = Date()) async throws -> Bool {
        let day: @Sendable (Int) -> String = { offset in AppCalendar.day(today.addingTimeInterval(Double(offset) * 86_400)) }
        return try await database.transaction {
            guard try await database.query("SELECT count(*) FROM users")[0][0] == "0" else { return false }
            let staff = [("alice.martin@univ.example", "Alice Martin"), ("bruno.petit@univ.example", "Bruno Petit"),
                         ("chloe.durand@univ.example", "Chloé Durand"), ("david.leroy@univ.example", "David Leroy")]
            for (email, name) in staff { try await database.query("INSERT INTO users (email, name) VALUES ($1, $2)", [email, name]) }
            let assignments: [(Int, String, Int, Int?)] = [(1, "ROLE_ADMIN", -400, nil), (2, "ROLE_ADVISOR", -200, 30), (2, "ROLE_ADMIN", -300, -10),
                                                           (3, "ROLE_ADVISOR", -20, nil), (4, "ROLE_ADVISOR", 5, nil)]
            for (user, role, start, end) in assignments {
                try await database.query("INSERT INTO role_assignments (user_id, role, starts_on, ends_on) VALUES ($1, $2, $3, $4)",
                                         [String(user), role, day(start), end.map(day)])
            }
            let names = ["Élodie Bernard", "Hugo Moreau", "Inès Fournier", "Jules Girard", "Léa Bonnet", "Louis Lambert",
                         "Manon Fontaine", "Nathan Rousseau", "Océane Vincent", "Paul Muller", "Romane Lefèvre", "Sacha Faure"]
            for (index, name) in names.enumerated() {
                let number = String(21_000_100 + index)
                try await database.query("INSERT INTO students (student_number, email, name, created_at) VALUES ($1, $2, $3, $4)",
                                         [number, "\(number)@etu.univ.example", name, day(-90)])
            }
            for (name, archive) in [("Scholarship 2025", -30), ("Housing 2026", 60), ("Disability support", nil as Int?)] {
                try await database.query("INSERT INTO campaigns (name, archive_on) VALUES ($1, $2)", [name, archive.map(day)])
            }
            let states = ["draft", "submitted", "accepted", "refused"]
            for student in 1...names.count {
                try await database.query("INSERT INTO requests (campaign_id, student_id, state, updated_at) VALUES ($1, $2, $3, $4)",
                                         [String(1 + student % 3), String(student), states[student % 4], day(-45)])
            }
            try await database.query("INSERT INTO hr_periods (user_id, label, ends_on) VALUES ($1, $2, $3), ($4, $5, $6)",
                                     ["2", "Fixed-term contract", day(4), "3", "Secondment", day(40)])
            try await database.query("INSERT INTO interventions (title, starts_on, contact_email) VALUES ($1, $2, $3), ($4, $5, $6)",
                                     ["Study skills workshop", day(2), "alice.martin@univ.example", "Job fair", day(12), "bruno.petit@univ.example"])
            // Avis ESE in every state: expiring (Élodie), valid (Hugo, Louis after a renewal), expired (Inès), pending (Jules; Léa
            // after an expired one).
            let avis: [(Int, Int, Int?, Int?)] = [(1, -310, -300, 10), (2, -110, -100, 265), (3, -410, -400, -35), (4, -6, nil, nil),
                                                  (5, -510, -500, -135), (5, -3, nil, nil), (6, -400, -380, -15), (6, -25, -20, 345)]
            for (student, requested, issued, until) in avis {
                try await database.query("INSERT INTO avis_ese (student_id, requested_on, issued_on, valid_until) VALUES ($1, $2, $3, $4)",
                                         [String(student), day(requested), issued.map(day), until.map(day)])
            }
            try await database.query("INSERT INTO uploaded_files (path, uploaded_at) VALUES ($1, $2), ($3, $4)",
                                     ["requests/1/transcript.pdf", day(-40), "requests/2/id-card.png", day(-38)])
            return true
        }
    }
}
