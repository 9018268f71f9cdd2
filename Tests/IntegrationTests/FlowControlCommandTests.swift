import Foundation
import Messenger
import MessengerTestSupport
import Testing

/// `limits:` and ordered groups from the shell: `messenger:dispatch --group`, `debug:messenger`,
/// `messenger:stats` and `messenger:status` with the real `app` binary.
@Suite("flow control from the shell")
struct FlowControlCommandTests {
    static let config = TestProject.defaultConfig + """

          limits:
            Messenger.Probe: { concurrency: 1 }
            'queue:high': { rate_limit: { limit: 10, interval: 1 minute }, group_failure: continue }
            App.Typo: { concurrency: 2 }
        """

    struct Dispatched: Decodable { let id: String? }
    struct HeldBack: Decodable { let group: Int; let limit: Int; let rate: Int }
    struct Row: Decodable { let transport: String; let heldBack: HeldBack? }

    @Test("--group and the limits: debug:messenger lists them, stats counts what they hold back, status says why a message waits")
    func shell() async throws {
        let project = try TestProject(config: Self.config)
        defer { project.remove() }
        var ids: [String] = []
        for label in ["first", "second", "third"] {
            let result = try await project.run("messenger:dispatch", "Messenger.Probe", #"{"label": "\#(label)"}"#, "--group", "student-42", "--format", "json")
            #expect(result.status == 0, "\(result.stderr)")
            ids.append(try #require(try json(Dispatched.self, result.stdout).id))
        }
        let debug = try await project.run("debug:messenger")
        #expect(debug.status == 0)
        #expect(debug.stdout.contains("Messenger.Probe (concurrency 1)"))
        #expect(debug.stdout.contains("Limits (enforced by the database transports across all workers)"))
        #expect(debug.stdout.split(separator: "\n").contains { $0.contains("queue:high") && $0.contains("10 per 1 min") && $0.contains("continue") })
        #expect(debug.stdout.contains("limits: App.Typo matches no message type of this application"))

        let stats = try json([Row].self, try await project.run("messenger:stats", "--format", "json").stdout)
        let async = try #require(stats.first { $0.transport == "async" }?.heldBack)
        #expect((async.group, async.limit, async.rate) == (2, 0, 0))
        let text = try await project.run("messenger:stats")
        #expect(text.stdout.split(separator: "\n").contains { $0.hasPrefix("async ") && $0.contains("group 2") })

        let status = try await project.run("messenger:status", ids[2])
        #expect(status.stdout.contains(#"Waiting on"#) && status.stdout.contains(#"ordered group "student-42": 2 earlier message(s) of the group first"#))

        // Handled one at a time, in dispatch order.
        let consumed = try await project.run("messenger:consume", "async", "--stop-when-empty", "--concurrency", "4", "--sleep", "0.05")
        #expect(consumed.status == 0)
        #expect(handledProbes(consumed.stderr) == ["first", "second", "third"])
    }

    @Test("a bad limit is an error naming the file, the line and the key, and the command exits non-zero")
    func badLimit() async throws {
        let project = try TestProject(config: TestProject.defaultConfig + "\n  limits:\n    Messenger.Probe: { concurrency: lots }\n")
        defer { project.remove() }
        let result = try await project.run("messenger:stats")
        #expect(result.status != 0)
        #expect(result.stderr.contains("config/messenger.yaml:12"))
        #expect(result.stderr.contains("messenger.limits.Messenger.Probe.concurrency"))
        #expect(result.stderr.contains("got \"lots\""))
    }
}
