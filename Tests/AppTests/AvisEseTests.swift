@testable import App
import Foundation
import Messenger
import MessengerTestSupport
import Testing

/// The daily avis ESE recompute: states from the latest avis of each beneficiary on the day, one
/// reminder mail per avis entering the expiry window; on both databases.
@Suite("Avis ESE")
struct AvisEseTests {
    typealias Kind = AppDatabaseTests.Kind

    static let states = """
        SELECT st.name, s.state, s.valid_until FROM avis_ese_states s JOIN students st ON st.id = s.student_id ORDER BY s.student_id
        """

    @Test("each beneficiary's state on the day from their latest avis; one reminder per expiring avis, never two", arguments: Kind.allCases)
    func recompute(kind: Kind) async throws {
        let fixture = try await AppDatabaseTests.seeded(kind)
        let mails = InMemoryTransport()
        let bus = AppDatabaseTests.bus(fixture.shared, mails: mails)
        let first = try await bus.dispatch(RecomputeAvisEse(on: "2026-11-23"))
        #expect(first.last(HandledStamp.self)?.result as? AvisEseSummary == AvisEseSummary(pending: 2, valid: 2, expiring: 1, expired: 1, reminded: 1))
        #expect(try await fixture.database.query(Self.states) == [
            ["Élodie Bernard", "expiring", "2026-12-03"], ["Hugo Moreau", "valid", "2027-08-15"], ["Inès Fournier", "expired", "2026-10-19"],
            ["Jules Girard", "pending", nil], ["Léa Bonnet", "pending", nil], ["Louis Lambert", "valid", "2027-11-03"],
        ])
        var sent = try await mails.list(limit: 100).compactMap { $0.message as? SendMail }
        #expect(sent.map(\.to) == [["21000100@etu.univ.example"]])
        #expect(sent.first?.subject == "Your avis ESE expires on 2026-12-03")
        #expect(sent.first?.text.contains("Hello Élodie Bernard") == true)

        // The next days: still expiring, not reminded again; recomputing a day twice changes nothing.
        for day in ["2026-11-24", "2026-11-24", "2026-12-01"] {
            let again = try await bus.dispatch(RecomputeAvisEse(on: day))
            #expect((again.last(HandledStamp.self)?.result as? AvisEseSummary)?.reminded == 0)
        }
        #expect(try await mails.list(limit: 100).count == 1)

        // Past its end Élodie's avis is expired; Hugo's enters the window and he is reminded, once.
        let later = try await bus.dispatch(RecomputeAvisEse(on: "2027-07-20"))
        #expect(later.last(HandledStamp.self)?.result as? AvisEseSummary == AvisEseSummary(pending: 2, valid: 1, expiring: 1, expired: 2, reminded: 1))
        sent = try await mails.list(limit: 100).compactMap { $0.message as? SendMail }
        #expect(sent.map(\.subject) == ["Your avis ESE expires on 2026-12-03", "Your avis ESE expires on 2027-08-15"])

        // A new avis for Élodie: valid; once it nears its end, a reminder for that avis too.
        try await fixture.database.query("INSERT INTO avis_ese (student_id, requested_on, issued_on, valid_until) VALUES (1, '2027-07-01', '2027-07-10', '2028-07-10')")
        try await bus.dispatch(RecomputeAvisEse(on: "2027-07-21"))
        #expect(try await fixture.database.query("SELECT state FROM avis_ese_states WHERE student_id = 1") == [["valid"]])
        let renewed = try await bus.dispatch(RecomputeAvisEse(on: "2028-07-01"))
        #expect((renewed.last(HandledStamp.self)?.result as? AvisEseSummary)?.reminded == 1)
        #expect(try await mails.list(limit: 100).compactMap { ($0.message as? SendMail)?.to.first }.filter { $0 == "21000100@etu.univ.example" }.count == 2)
        try await fixture.remove()
    }

    @Test("the window comes from AVIS_ESE_EXPIRY_WINDOW_DAYS; a bad value is an unrecoverable error naming it", arguments: Kind.allCases)
    func window(kind: Kind) async throws {
        let fixture = try await AppDatabaseTests.seeded(kind)
        try fixture.directory.write(".env.local", "AVIS_ESE_EXPIRY_WINDOW_DAYS=5\n")
        let mails = InMemoryTransport()
        let sent = try await AppDatabaseTests.bus(fixture.shared, mails: mails, projectDirectory: fixture.directory.path).dispatch(RecomputeAvisEse(on: "2026-11-23"))
        // Élodie's avis ends in 10 days: valid with a 5-day window.
        #expect(sent.last(HandledStamp.self)?.result as? AvisEseSummary == AvisEseSummary(pending: 2, valid: 3, expiring: 0, expired: 1, reminded: 0))

        try fixture.directory.write(".env.local", "AVIS_ESE_EXPIRY_WINDOW_DAYS=a month\n")
        let error = await #expect(throws: HandlerFailedError.self) {
            try await AppDatabaseTests.bus(fixture.shared, mails: mails, projectDirectory: fixture.directory.path).dispatch(RecomputeAvisEse(on: "2026-11-23"))
        }
        #expect(error?.failures.first?.error is UnrecoverableMessageError)
        let reason = error?.failures.first.map { "\($0.error)" } ?? ""
        #expect(reason.contains("AVIS_ESE_EXPIRY_WINDOW_DAYS must be a whole number of days from 0 to 366, got \"a month\""))
        try await fixture.remove()
    }
}
