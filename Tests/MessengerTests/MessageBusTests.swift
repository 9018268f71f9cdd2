import Messenger
import Testing

@Suite("Message bus")
struct MessageBusTests {
    @Test("an unrouted message is handled now; the final envelope carries the handler's result")
    func syncHandling() async throws {
        let recorder = Recorder()
        let bus = MessageBus(registry: registry(recorder), senders: SendersLocator(routing: [:], senders: [:]))
        let envelope = try await bus.dispatch(Greet(name: "Ada"))
        #expect(recorder.all == ["greet Ada"])
        let handled = try #require(envelope.last(HandledStamp.self))
        #expect(handled.handlerName == "greeter")
        #expect(handled.result as? String == "hello Ada")
        #expect(envelope.last(BusNameStamp.self)?.busName == "messenger.bus.default")
    }

    @Test("several handlers of one type all run, in registration order")
    func severalHandlers() async throws {
        let recorder = Recorder()
        var registry = registry(recorder)
        registry.handle(Greet.self, name: "second") { message, _ in recorder.record("second \(message.name)") }
        let bus = MessageBus(registry: registry, senders: SendersLocator(routing: [:], senders: [:]))
        let envelope = try await bus.dispatch(Greet(name: "x"))
        #expect(recorder.all == ["greet x", "second x"])
        #expect(envelope.all(HandledStamp.self).map(\.handlerName) == ["greeter", "second"])
    }

    @Test("a message with no handler is an error at dispatch")
    func noHandler() async throws {
        let bus = MessageBus(registry: MessageRegistry(), senders: SendersLocator(routing: [:], senders: [:]))
        let error = await #expect(throws: MessengerError.self) { try await bus.dispatch(Greet(name: "x")) }
        #expect(error?.code == .noHandler)
        #expect(error?.description.contains("Test.Greet") == true)
    }

    @Test("a routed message is sent, not handled, and stamped with where it went")
    func routedIsSent() async throws {
        let recorder = Recorder()
        let queue = InMemoryTransport()
        let bus = MessageBus(registry: registry(recorder), senders: SendersLocator(routing: ["Test.Greet": ["async"]], senders: ["async": queue]))
        let envelope = try await bus.dispatch(Greet(name: "x"))
        #expect(recorder.all.isEmpty)
        #expect(envelope.last(SentStamp.self)?.transportName == "async")
        #expect(envelope.last(TransportMessageIdStamp.self) != nil)
        #expect(try await queue.get(limit: 10).count == 1)
    }

    @Test("a message routed to sync:// is handled at once")
    func syncTransport() async throws {
        let recorder = Recorder()
        let bus = MessageBus(registry: registry(recorder), senders: SendersLocator(routing: ["*": ["sync"]], senders: ["sync": SyncTransport()]))
        try await bus.dispatch(Notify(text: "now"))
        #expect(recorder.all == ["notify now"])
    }

    @Test("TransportNamesStamp overrides the routing")
    func transportNamesStamp() async throws {
        let recorder = Recorder()
        let (a, b) = (InMemoryTransport(), InMemoryTransport())
        let bus = MessageBus(registry: registry(recorder), senders: SendersLocator(routing: ["*": ["a"]], senders: ["a": a, "b": b]))
        try await bus.dispatch(Greet(name: "x"), stamps: [TransportNamesStamp(["b"])])
        #expect(try await a.get(limit: 10).isEmpty)
        #expect(try await b.get(limit: 10).count == 1)
    }

    @Test("a received message is handled even though its type is routed")
    func receivedIsHandled() async throws {
        let recorder = Recorder()
        let bus = MessageBus(registry: registry(recorder), senders: SendersLocator(routing: ["*": ["a"]], senders: ["a": InMemoryTransport()]))
        try await bus.dispatch(Envelope(Greet(name: "r"), stamps: [ReceivedStamp(transportName: "a")]))
        #expect(recorder.all == ["greet r"])
    }

    @Test("user middleware runs between the bus's own layers, outermost first")
    func userMiddleware() async throws {
        let recorder = Recorder()
        let bus = MessageBus(
            registry: registry(recorder), senders: SendersLocator(routing: [:], senders: [:]),
            userMiddleware: [TracingMiddleware(recorder: recorder, name: "outer"), TracingMiddleware(recorder: recorder, name: "inner")]
        )
        try await bus.dispatch(Notify(text: "m"))
        #expect(recorder.all == ["outer:Test.Notify", "inner:Test.Notify", "notify m"])
    }

    @Test("routing to a transport that does not exist is an error naming it")
    func unknownTransport() async throws {
        let bus = MessageBus(registry: registry(Recorder()), senders: SendersLocator(routing: ["*": ["nowhere"]], senders: [:]))
        let error = await #expect(throws: MessengerError.self) { try await bus.dispatch(Greet(name: "x")) }
        #expect(error?.description.contains("nowhere") == true)
    }
}
