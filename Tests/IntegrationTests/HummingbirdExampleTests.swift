import Foundation
import MessengerTestSupport
import Testing

/// `Examples/HummingbirdWorker`: the documented Hummingbird 2 server that dispatches in a route and
/// runs a worker in the same process, run as built.
@Suite("the Hummingbird example", .serialized)
struct HummingbirdExampleTests {
    /// The example beside the `app` binary under test.
    static var binary: String { URL(fileURLWithPath: AppProcess.binary).deletingLastPathComponent().appendingPathComponent("HummingbirdWorkerExample").path }

    @Test("a route that dispatches: 202 with the message's id, the worker in the same process handles it; SIGTERM: a clean exit")
    func dispatchesAndHandles() async throws {
        let folder = try TemporaryDirectory("hummingbird-example")
        defer { folder.remove() }
        let server = try AppProcess([], directory: folder.path, environment: ["PORT": "0", "EXAMPLE_DATABASE": folder.file("var/example.sqlite")],
                                    executable: Self.binary)
        let listening = try await server.waitForLog("Listening on http://127.0.0.1:")
        let address = try #require(listening.firstMatch(of: /(http:\/\/127\.0\.0\.1:\d+)/)?.1)
        let curl = try AppProcess(["-sS", "-w", "\n%{http_code}", "-X", "POST", "\(address)/greetings", "-H", "Content-Type: application/json", "-d", #"{"name": "Ada"}"#],
                                  directory: folder.path, executable: "/usr/bin/curl")
        #expect(try await curl.waitForExit(timeout: .seconds(30)) == 0)
        let answer = curl.standardOutput.text
        #expect(answer.hasSuffix("\n202"), "\(answer)")
        let id = try #require(answer.firstMatch(of: /"id":"([0-9a-f-]{36})"/)?.1).description
        let greeted = try await server.waitForLog("Hello, Ada!")
        #expect(greeted.contains("message.id=\(id)"), "the handled message is the one the route dispatched")

        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
        #expect(server.standardError.text.contains("Worker stopped (stop requested) after handling 1 message(s), 0 failed"))
    }
}
