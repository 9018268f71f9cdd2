import Foundation
import Messenger
import Synchronization

struct Greet: Message, Equatable {
    static let messageName = "Test.Greet"
    var name: String
    var at: Date?
}

struct Notify: Message, Equatable {
    static let messageName = "Test.Notify"
    var text: String
}

struct Flaky: Message {
    static let messageName = "Test.Flaky"
    var failTimes: Int
    var kind: Kind = .plain
    enum Kind: String, Codable { case plain, recoverable, unrecoverable }
}

struct PlainFailure: Error {}

/// Records what handlers saw, in order, safely across tasks.
final class Recorder: Sendable {
    private let entries = Mutex<[String]>([])
    func record(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }
}

/// A middleware that records its passage.
struct TracingMiddleware: Middleware {
    let recorder: Recorder
    let name: String
    func handle(_ envelope: Envelope, next: MiddlewareNext) async throws -> Envelope {
        recorder.record("\(name):\(envelope.messageName)")
        return try await next(envelope)
    }
}

func registry(_ recorder: Recorder) -> MessageRegistry {
    var registry = MessageRegistry()
    registry.handle(Greet.self, name: "greeter") { message, _ in
        recorder.record("greet \(message.name)")
        return "hello \(message.name)"
    }
    registry.handle(Notify.self, name: "notifier") { message, _ in recorder.record("notify \(message.text)") }
    registry.handle(Flaky.self, name: "flaky") { message, context in
        recorder.record("flaky attempt \(context.attempt)")
        if context.attempt <= message.failTimes {
            switch message.kind {
            case .plain: throw PlainFailure()
            case .recoverable: throw RecoverableMessageError("try again")
            case .unrecoverable: throw UnrecoverableMessageError("never")
            }
        }
    }
    return registry
}
