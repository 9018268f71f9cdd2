// A Hummingbird 2 application that dispatches in its routes and runs a worker in the same process,
// both in one ServiceGroup: SIGTERM or Ctrl-C stops the server, then the worker finishes the messages
// in hand. Run it with `swift run HummingbirdWorkerExample`, then
// `curl -X POST localhost:8080/greetings -d '{"name":"Ada"}'`.
//
// Settings (environment): PORT (8080; 0 for any free port), EXAMPLE_DATABASE (the SQLite file,
// var/example.sqlite).
import Foundation
import Hummingbird
import Logging
import Messenger
import MessengerSQLite
import ServiceLifecycle

/// The message the route dispatches and the worker handles.
struct SendGreeting: Message {
    static let messageName = "Example.SendGreeting"
    var name: String
}

/// `POST /greetings`'s body.
struct GreetingRequest: Decodable {
    var name: String
}

/// `POST /greetings`'s answer: the id to follow the message by.
struct Dispatched: ResponseEncodable {
    var id: String
}

let environment = ProcessInfo.processInfo.environment
LoggingSystem.bootstrap(StreamLogHandler.standardError)
let logger = {
    var logger = Logger(label: "example")
    logger.logLevel = .info
    return logger
}()

// The handlers, and where each message goes: SendGreeting to the SQLite transport `async`.
var registry = MessageRegistry()
registry.handle(SendGreeting.self, name: "greeter") { message, context in
    context.logger.notice("Hello, \(message.name)!", metadata: ["message.id": "\(context.envelope.messageId ?? "-")"])
}
let path = environment["EXAMPLE_DATABASE"] ?? "var/example.sqlite"
try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
var options = SQLiteTransportOptions()
options.queueName = "async"
let transport = SQLiteTransport(name: "async", connection: SQLiteConnection(path: path), options: options, serializer: JSONSerializer(registry: registry))
let bus = MessageBus(registry: registry, senders: SendersLocator(routing: [SendGreeting.messageName: ["async"]], senders: ["async": transport]))

// The route stores the message and answers at once: the worker handles it.
let router = Router()
router.post("/greetings") { request, context -> EditedResponse<Dispatched> in
    let greeting = try await request.decode(as: GreetingRequest.self, context: context)
    let sent = try await bus.dispatch(SendGreeting(name: greeting.name))
    return EditedResponse(status: .accepted, response: Dispatched(id: sent.messageId ?? ""))
}

var app = Application(
    router: router,
    configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: Int(environment["PORT"] ?? "") ?? 8080)),
    onServerRunning: { channel in logger.notice("Listening on http://127.0.0.1:\(channel.localAddress?.port ?? 0)") },
    logger: logger
)
// The worker shares the server's service group: the same signals stop both, gracefully.
app.addServices(WorkerService(transports: [WorkerTransport(name: "async", transport: transport)], bus: bus, logger: logger))
try await app.runService()
await transport.close()
