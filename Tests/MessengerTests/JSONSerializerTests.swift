import Foundation
import Messenger
import Testing

@Suite("JSON serializer")
struct JSONSerializerTests {
    let serializer = JSONSerializer(registry: registry(Recorder()))

    @Test("a message and its transportable stamps survive a round trip; in-memory stamps do not travel")
    func roundTrip() throws {
        let date = Date(timeIntervalSince1970: 1_700_000_000.25)
        let envelope = Envelope(Greet(name: "Zoé", at: date), stamps: [
            BusNameStamp("bus"), RedeliveryStamp(retryCount: 2, redeliveredAt: date),
            ErrorDetailsStamp(errorType: "E", message: "boom", location: "handler h", failedAt: date),
            HandledStamp(handlerName: "h1", result: 42), SentToFailureTransportStamp(originalTransportName: "async"),
            DelayStamp(milliseconds: 10), ReceivedStamp(transportName: "x"),
        ])
        let encoded = try serializer.encode(envelope)
        #expect(encoded.headers.contains("\"type\":\"Test.Greet\""))
        let decoded = try serializer.decode(encoded)
        #expect(decoded.message as? Greet == Greet(name: "Zoé", at: date))
        #expect(decoded.last(BusNameStamp.self)?.busName == "bus")
        #expect(decoded.last(RedeliveryStamp.self) == RedeliveryStamp(retryCount: 2, redeliveredAt: date))
        #expect(decoded.last(ErrorDetailsStamp.self)?.message == "boom")
        #expect(decoded.last(HandledStamp.self)?.handlerName == "h1")
        #expect(decoded.last(HandledStamp.self)?.result == nil)
        #expect(decoded.last(SentToFailureTransportStamp.self)?.originalTransportName == "async")
        #expect(decoded.last(DelayStamp.self) == nil)
        #expect(decoded.last(ReceivedStamp.self) == nil)
    }

    @Test("dates in bodies are ISO 8601, and a body without fractional seconds decodes too")
    func isoDates() throws {
        let encoded = try serializer.encode(Envelope(Greet(name: "a", at: Date(timeIntervalSince1970: 0))))
        #expect(encoded.body.contains("1970-01-01T00:00:00.000Z"))
        let message = try serializer.decodeMessage(named: "Test.Greet", json: #"{"name":"b","at":"2026-01-02T03:04:05Z"}"#)
        #expect((message as? Greet)?.at == Date(timeIntervalSince1970: 1_767_323_045))
    }

    @Test("an unknown type, bad headers or a bad body are errors that say which")
    func decodingErrors() {
        let unknown = #expect(throws: MessengerError.self) { try serializer.decode(EncodedEnvelope(body: "{}", headers: #"{"type":"Nope"}"#)) }
        #expect(unknown?.code == .unknownMessageType)
        #expect(unknown?.description.contains("Nope") == true)
        let headers = #expect(throws: MessengerError.self) { try serializer.decode(EncodedEnvelope(body: "{}", headers: "not json")) }
        #expect(headers?.description.contains("headers") == true)
        let body = #expect(throws: MessengerError.self) { try serializer.decode(EncodedEnvelope(body: #"{"nom":1}"#, headers: #"{"type":"Test.Greet"}"#)) }
        #expect(body?.description.contains("missing key \"name\"") == true)
    }

    @Test("decodeOrQuarantine keeps an undecodable row whole, with the reason")
    func quarantine() {
        let envelope = serializer.decodeOrQuarantine(EncodedEnvelope(body: "garbage", headers: #"{"type":"Test.Greet"}"#))
        let undecodable = envelope.message as? UndecodableMessage
        #expect(undecodable?.body == "garbage")
        #expect(undecodable?.headers == #"{"type":"Test.Greet"}"#)
        #expect(undecodable?.error.contains("Test.Greet") == true)
    }

    @Test("a quarantined message survives being stored and read back, even by an application that never registered it")
    func quarantinedRoundTrip() throws {
        let quarantined = serializer.decodeOrQuarantine(EncodedEnvelope(body: "{", headers: #"{"type":"App.Gone"}"#))
        let stored = try serializer.encode(quarantined.with(ErrorDetailsStamp(errorType: "E", message: "m", location: "l")))
        let readBack = try JSONSerializer(registry: MessageRegistry()).decode(stored)
        #expect(readBack.message as? UndecodableMessage == quarantined.message as? UndecodableMessage)
        #expect(readBack.last(ErrorDetailsStamp.self)?.message == "m")
    }

    @Test("messenger:dispatch-style decoding names the known types when the type is unknown")
    func unknownForDispatch() {
        let error = #expect(throws: MessengerError.self) { try serializer.decodeMessage(named: "App.Nope", json: "{}") }
        #expect(error?.description.contains("Test.Greet") == true)
    }

    @Test("JSON nested deeper than the parser reads is said to be too deeply nested, not invalid")
    func tooDeeplyNested() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let error = #expect(throws: MessengerError.self) { try serializer.decodeMessage(named: "Test.Greet", json: deep) }
        #expect(error?.description.contains("nested more than 512 levels deep") == true)
        // Brackets inside strings do not count; a shallow document that is not JSON is still invalid.
        let invalid = #expect(throws: MessengerError.self) { try serializer.decodeMessage(named: "Test.Greet", json: #"{"name": "[[[[" "#) }
        #expect(invalid?.description.contains("nested") == false)
    }
}
