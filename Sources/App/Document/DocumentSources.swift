/// What each kind of document says about its subject, read from the application's database.
enum DocumentSources {
    /// The content of `kind` about `subject`; nil when the subject does not exist.
    static func content(_ kind: DocumentKind, subject: Int, in database: AppDatabase, issuer: String, day: String) async throws -> DocumentContent? {
        switch kind {
        case .accommodationCertificate: try await certificate(student: subject, database, issuer: issuer, day: day)
        case .campaignSummary: try await summary(campaign: subject, database, issuer: issuer, day: day)
        }
    }

    private static func certificate(student: Int, _ database: AppDatabase, issuer: String, day: String) async throws -> DocumentContent? {
        let id = String(student)
        guard let row = try await database.query("SELECT name, student_number, email FROM students WHERE id = $1", [id]).first else { return nil }
        let (name, number, email) = (row[0] ?? "", row[1] ?? "", row[2] ?? "")
        let avis = try await database.query("SELECT state, valid_until, computed_on FROM avis_ese_states WHERE student_id = $1", [id]).first
        let avisText = avis.map { state in
            let until = state[1].flatMap { $0 }.map { ", valid until \($0)" } ?? ""
            return "\(state[0] ?? "?")\(until) (computed on \(state[2] ?? "?"))"
        } ?? "no avis on record"
        let enrollments = try await database.query(
            "SELECT academic_year, program, stage FROM enrollments WHERE student_id = $1 ORDER BY academic_year DESC, program", [id])
        let requests = try await database.query("""
            SELECT c.name, r.state, r.updated_at FROM requests r JOIN campaigns c ON c.id = r.campaign_id WHERE r.student_id = $1 ORDER BY r.updated_at DESC, r.id
            """, [id])
        return DocumentContent(
            issuer: issuer, service: "Student support service", title: "Accommodation certificate",
            blocks: [
                .paragraph("The student support service certifies that \(name), student number \(number), is a beneficiary of its accommodation "
                           + "scheme, with the enrollments and requests listed below as of \(day)."),
                .fields([("Student", name), ("Student number", number), ("E-mail", email), ("Avis ESE", avisText)]),
                .heading("Enrollments"),
                .table(.init(columns: [.init(title: "Academic year", share: 0.2), .init(title: "Program", share: 0.55), .init(title: "Stage", share: 0.25)],
                             rows: enrollments.map { $0.map { $0 ?? "" } })),
                .heading("Requests"),
                .table(.init(columns: [.init(title: "Campaign", share: 0.5), .init(title: "State", share: 0.25), .init(title: "Updated", share: 0.25)],
                             rows: requests.map { [$0[0] ?? "", $0[1] ?? "", String(($0[2] ?? "").prefix(10))] })),
            ],
            generatedOn: day
        )
    }

    private static func summary(campaign: Int, _ database: AppDatabase, issuer: String, day: String) async throws -> DocumentContent? {
        let id = String(campaign)
        guard let row = try await database.query("SELECT name, archive_on FROM campaigns WHERE id = $1", [id]).first else { return nil }
        let requests = try await database.query("""
            SELECT s.student_number, s.name, r.state, r.updated_at FROM requests r JOIN students s ON s.id = r.student_id
            WHERE r.campaign_id = $1 ORDER BY s.name, r.id
            """, [id])
        var counts: [String: Int] = [:]
        for request in requests { counts[request[2] ?? "", default: 0] += 1 }
        let byState = ["draft", "submitted", "accepted", "refused"].map { "\(counts[$0] ?? 0) \($0)" }.joined(separator: ", ")
        return DocumentContent(
            issuer: issuer, service: "Student support service", title: "Requests of the campaign \(row[0] ?? "")",
            blocks: [
                .fields([("Campaign", row[0] ?? ""), ("Archived on", row[1].flatMap { $0 } ?? "not planned"),
                         ("Requests", "\(requests.count): \(byState)")]),
                .heading("Requests"),
                .table(.init(columns: [.init(title: "#", share: 0.08), .init(title: "Student number", share: 0.2), .init(title: "Student", share: 0.37),
                                       .init(title: "State", share: 0.17), .init(title: "Updated", share: 0.18)],
                             rows: requests.enumerated().map { index, request in
                                 [String(index + 1), request[0] ?? "", request[1] ?? "", request[2] ?? "", String((request[3] ?? "").prefix(10))]
                             })),
            ],
            generatedOn: day
        )
    }
}
