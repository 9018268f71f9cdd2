import Messenger
import Testing

@Suite("Dispatch after current bus")
struct DispatchAfterCurrentBusTests {
    struct Order: Message {
        static let messageName = "Test.Order"
        var fail: Bool
    }

    func bus(_ recorder: Recorder) -> MessageBus {
        var registry = registry(recorder)
        registry.handle(Order.self, name: "order") { order, context in
            try await context.dispatchAfterCurrentBus(Notify(text: "order placed"))
            recorder.record("order handled, notify held")
            if order.fail { throw PlainFailure() }
        }
        return MessageBus(registry: registry, senders: SendersLocator(routing: [:], senders: [:]))
    }

    @Test("a held message goes out after the handler succeeded, not before")
    func afterSuccess() async throws {
        let recorder = Recorder()
        try await bus(recorder).dispatch(Order(fail: false))
        #expect(recorder.all == ["order handled, notify held", "notify order placed"])
    }

    @Test("a held message is dropped when the handler fails")
    func droppedOnFailure() async throws {
        let recorder = Recorder()
        await #expect(throws: HandlerFailedError.self) { try await bus(recorder).dispatch(Order(fail: true)) }
        #expect(recorder.all == ["order handled, notify held"])
    }

    @Test("outside any handler, the stamp dispatches at once")
    func outsideHandler() async throws {
        let recorder = Recorder()
        try await bus(recorder).dispatch(Notify(text: "direct"), stamps: [DispatchAfterCurrentBusStamp()])
        #expect(recorder.all == ["notify direct"])
    }
}
