import Foundation
import MessengerTestSupport
import Testing

/// `messenger:dispatch --deduplicate` from the real `app`: the answer a status endpoint gives
/// ("already queued"), on the embedded SQLite default.
@Suite("app messenger:dispatch --deduplicate")
struct DeduplicationCommandTests {
    struct Result: Decodable {
        let id: String?
        let status: String
        let ids: [String]
        let duplicateOf: String?
        let debounced: Bool
    }

    @Test("a second dispatch with a pending key is not stored and says which message is pending; debounce moves it")
    func deduplicate() async throws {
        let project = try TestProject()
        let first = try json(Result.self, try await project.run("messenger:dispatch", "Messenger.Probe", #"{"label": "a"}"#, "--deduplicate", "student-42", "--format", "json").stdout)
        #expect(first.ids == ["1"] && first.duplicateOf == nil)
        let second = try await project.run("messenger:dispatch", "Messenger.Probe", #"{"label": "b"}"#, "--deduplicate", "student-42")
        #expect(second.status == 0)
        #expect(second.stdout.contains("[OK] Messenger.Probe not stored: message \(first.id ?? "?") with key student-42 is already queued."))
        let debounced = try json(Result.self, try await project.run(
            "messenger:dispatch", "Messenger.Probe", #"{"label": "c"}"#, "--deduplicate", "student-42", "--debounce", "--delay", "60", "--format", "json").stdout)
        #expect(debounced.duplicateOf == "1" && debounced.debounced && debounced.id == first.id && debounced.status == "scheduled")
        let stats = try json([StatsRow].self, try await project.run("messenger:stats", "--format", "json").stdout)
        let async = try #require(stats.first { $0.transport == "async" }?.statistics)
        #expect((async.total, async.delayed) == (1, 1))
        let misuse = try await project.run("messenger:dispatch", "Messenger.Probe", #"{"label": "d"}"#, "--debounce")
        #expect(misuse.status != 0)
        #expect(misuse.stderr.contains("--while-handling and --debounce go with --deduplicate KEY"))
        project.remove()
    }
}
