import Foundation
import Messenger
import Testing

/// `MessageParked`: announced by the worker after parking, handled at once in its process whatever
/// the routing, and nothing at all without a handler.
@Suite("Worker: MessageParked")
struct MessageParkedTests {
    struct Doomed: Message {
        static let messageName = "Test.Doomed"
    }

    static func doomed(_ registry: inout MessageRegistry, _ recorder: Recorder) {
        registry.handle(Doomed.self, name: "doom") { _, _ in throw UnrecoverableMessageError("never works") }
    }

    @Test("with a catch-all route and no handler of the event: the message is parked once, nothing else is stored")
    func withoutHandler() async throws {
        let setup = WorkerTests.Setup(registryChange: Self.doomed)
        try await setup.bus.dispatch(Doomed())
        _ = await setup.worker().run()
        #expect(try await setup.failed.statistics().total == 1)
        #expect(try await setup.queue.statistics().total == 0)
    }

    @Test("a handler of the event hears of each parked message: type, transports, attempts, error")
    func withHandler() async throws {
        let setup = WorkerTests.Setup { registry, recorder in
            Self.doomed(&registry, recorder)
            registry.handle(MessageParked.self, name: "hear") { parked, _ in
                recorder.record("\(parked.messageType) \(parked.transport)→\(parked.failureTransport) \(parked.attempts) \(parked.errorType): \(parked.errorMessage)")
            }
        }
        try await setup.bus.dispatch(Doomed())
        _ = await setup.worker().run()
        #expect(setup.recorder.all == ["Test.Doomed async→failed 1 Messenger.UnrecoverableMessageError: doom: never works"])
        #expect(try await setup.queue.statistics().total == 0)
    }
}
