import Foundation
import MessengerTestSupport
import Testing

/// `app scheduler:cron` from the real binary.
@Suite("app scheduler:cron")
struct SchedulerCronCommandTests {
    struct Occurrence: Decodable {
        let utc: String
        let local: String
    }

    @Test("prints the next occurrences in a time zone, a skipped spring time once at the end of the gap")
    func occurrences() async throws {
        let project = try TestProject()
        defer { project.remove() }
        let result = try await project.run("scheduler:cron", "30 2 * * *", "--timezone", "Europe/Paris", "--from", "2026-03-28T00:00:00Z", "--count", "3", "--format", "json")
        #expect(result.status == 0)
        let occurrences = try json([Occurrence].self, result.stdout)
        #expect(occurrences.map(\.utc) == ["2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"])
        #expect(occurrences.map(\.local) == ["2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"])
        let table = try await project.run("scheduler:cron", "@daily", "--count", "2")
        #expect(table.status == 0)
        #expect(table.stdout.contains("Local (UTC)"))
    }

    @Test("a malformed or impossible expression, an unknown time zone: non-zero exit and the culprit named")
    func badInput() async throws {
        let project = try TestProject()
        defer { project.remove() }
        for (arguments, expected) in [
            (["scheduler:cron", "61 * * * *"], "minute field: 61 is out of range 0-59"),
            (["scheduler:cron", "0 0 30 2 *"], "day 30 never occurs"),
            (["scheduler:cron", "@daily", "--timezone", "Mars/Olympus"], "unknown time zone \"Mars/Olympus\""),
            (["scheduler:cron", "@daily", "--from", "yesterday"], "--from: expected an ISO 8601 date"),
        ] {
            let result = try await AppProcess.run(arguments, directory: project.directory.path)
            #expect(result.status != 0)
            #expect(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
        }
    }
}
