import Messenger
import Testing

@Suite("Envelope")
struct EnvelopeTests {
    @Test("with appends stamps; last and all read them by type")
    func stamps() {
        let envelope = Envelope(Greet(name: "a"))
            .with(RedeliveryStamp(retryCount: 1), BusNameStamp("bus"))
            .with(RedeliveryStamp(retryCount: 2))
        #expect(envelope.all(RedeliveryStamp.self).map(\.retryCount) == [1, 2])
        #expect(envelope.last(RedeliveryStamp.self)?.retryCount == 2)
        #expect(envelope.last(BusNameStamp.self)?.busName == "bus")
        #expect(envelope.last(SentStamp.self) == nil)
        #expect(envelope.messageName == "Test.Greet")
    }

    @Test("withoutAll removes one type only and leaves the original untouched")
    func without() {
        let original = Envelope(Greet(name: "a"), stamps: [DelayStamp(milliseconds: 5), BusNameStamp("b")])
        let stripped = original.withoutAll(DelayStamp.self)
        #expect(stripped.last(DelayStamp.self) == nil)
        #expect(stripped.last(BusNameStamp.self) != nil)
        #expect(original.last(DelayStamp.self)?.milliseconds == 5)
    }
}
