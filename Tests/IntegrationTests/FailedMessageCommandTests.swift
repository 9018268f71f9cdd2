import Foundation
import Messenger
import MessengerConsole
import MessengerTestSupport
import Testing

/// `messenger:failed:retry` and `messenger:failed:remove` run by two real `app` processes at once, on
/// SQLite and on PostgreSQL: a parked message is claimed before it is retried, so that it is handled
/// once and comes back (when it fails again) as one row.
@Suite("app failed-message commands from two processes", .serialized, .timeLimit(.minutes(3)))
struct FailedMessageCommandTests {
    enum Store: String, CaseIterable, CustomTestStringConvertible {
        case sqlite, postgres
        var testDescription: String { rawValue }
    }

    /// A project whose failure transport holds one parked probe, and its id.
    struct Parked {
        let run: @Sendable ([String]) async throws -> (status: Int32, stdout: String, stderr: String)
        let start: @Sendable ([String]) throws -> AppProcess
        let remove: @Sendable () async -> Void
        let id: String
    }

    func parked(_ store: Store, probe: String) async throws -> Parked {
        let (run, start, remove): (@Sendable ([String]) async throws -> (status: Int32, stdout: String, stderr: String), @Sendable ([String]) throws -> AppProcess, @Sendable () async -> Void)
        switch store {
        case .sqlite:
            let project = try TestProject()
            run = { try await AppProcess.run($0, directory: project.directory.path, environment: project.environment) }
            start = { try AppProcess($0, directory: project.directory.path, environment: project.environment) }
            remove = { project.remove() }
        case .postgres:
            let project = try PostgresProject()
            run = { try await AppProcess.run($0, directory: project.project.directory.path, environment: project.project.environment) }
            start = { try AppProcess($0, directory: project.project.directory.path, environment: project.project.environment) }
            remove = { await project.remove() }
        }
        #expect(try await run(["messenger:dispatch", "Messenger.Probe", probe]).status == 0)
        // Unrecoverable on its first attempt: parked at once.
        let worker = try await run(["messenger:consume", "async", "--stop-when-empty"])
        #expect(worker.status == 0, "\(worker.stderr)")
        let failed = try json([FailedRow].self, try await run(["messenger:failed:show", "--format", "json"]).stdout)
        #expect(failed.count == 1)
        return Parked(run: run, start: start, remove: remove, id: try #require(failed.first?.id))
    }

    @Test("two failed:retry of one id at once: the first handles it, the second is told it is being retried; failing again, it comes back as one row",
          arguments: Store.allCases)
    func concurrentRetries(store: Store) async throws {
        let parked = try await parked(store, probe: #"{"label": "twice", "failAttempts": 99, "unrecoverable": true, "sleepMilliseconds": 1500}"#)
        let first = try parked.start(["messenger:failed:retry", parked.id, "--force"])
        // The second starts once the first is in the middle of the handler: the claim is taken.
        try await first.waitForLog("Probe started")
        let second = try await parked.run(["messenger:failed:retry", parked.id, "--force"])
        #expect(second.status != 0)
        #expect(second.stdout.contains("being retried or handled by another process"))
        #expect(!second.stderr.contains("Probe started"))
        // Nor can it be removed while being retried.
        let removal = try await parked.run(["messenger:failed:remove", parked.id, "--force"])
        #expect(removal.status != 0)
        #expect(removal.stderr.contains("being retried or handled by another process: not removed"))
        #expect(try await first.waitForExit() != 0)
        #expect(first.standardOutput.text.contains("failed again"))
        let failed = try json([FailedRow].self, try await parked.run(["messenger:failed:show", "--format", "json"]).stdout)
        #expect(failed.count == 1)
        #expect(failed.first?.error?.contains("attempt 2") == true)
        await parked.remove()
    }

    @Test("two failed:retry of one id, the handler succeeding: handled once and removed; the other finds it gone", arguments: Store.allCases)
    func concurrentRetriesSucceeding(store: Store) async throws {
        let parked = try await parked(store, probe: #"{"label": "once", "failAttempts": 1, "unrecoverable": true, "sleepMilliseconds": 1000}"#)
        let first = try parked.start(["messenger:failed:retry", parked.id, "--force"])
        try await first.waitForLog("Probe started")
        let second = try await parked.run(["messenger:failed:retry", parked.id, "--force"])
        #expect(second.status != 0)
        #expect(!second.stdout.contains("handled and removed"))
        #expect(try await first.waitForExit() == 0)
        #expect(first.standardOutput.text.contains("handled and removed"))
        #expect(handledProbes(first.standardError.text + second.stderr) == ["once"])
        let late = try await parked.run(["messenger:failed:retry", parked.id, "--force"])
        #expect(late.status != 0)
        #expect(late.stdout.contains("No message with id \(parked.id)"))
        #expect(try json([FailedRow].self, try await parked.run(["messenger:failed:show", "--format", "json"]).stdout).isEmpty)
        await parked.remove()
    }
}
