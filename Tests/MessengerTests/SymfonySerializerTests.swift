import Foundation
import Messenger
import Testing

/// `App\Message\SendMail` as a Symfony application declares it.
private struct SendMail: Message, Equatable {
    static let messageName = "App.SendMail"
    var to: [String]
    var subject: String
    var text: String
}

@Suite("Symfony's JSON wire format")
struct SymfonySerializerTests {
    static func serializer(_ map: [String: String] = ["App\\Message\\": "App."]) -> SymfonySerializer {
        var registry = MessageRegistry()
        registry.register(SendMail.self)
        return SymfonySerializer(registry: registry, typeMap: SymfonyTypeMap(map))
    }

    /// What Symfony 5.4's `Serializer::create()->encode()` wrote (php-symfony-messenger 5.4.53) for
    /// SendMail with a bus name, a delay, a redelivery, error details and the failure transport's stamp.
    static let written = EncodedEnvelope(body: #"{"to":["a@b.c"],"subject":"Hi","text":"Hello"}"#, headers: #"""
        {"type":"App\\Message\\SendMail",\#
        "X-Message-Stamp-Symfony\\Component\\Messenger\\Stamp\\BusNameStamp":"[{\"busName\":\"messenger.bus.default\"}]",\#
        "X-Message-Stamp-Symfony\\Component\\Messenger\\Stamp\\DelayStamp":"[{\"delay\":5000}]",\#
        "X-Message-Stamp-Symfony\\Component\\Messenger\\Stamp\\RedeliveryStamp":"[{\"retryCount\":2,\"exceptionMessage\":null,\"flattenException\":null,\"redeliveredAt\":\"2026-11-28T15:41:36+00:00\"}]",\#
        "X-Message-Stamp-Symfony\\Component\\Messenger\\Stamp\\ErrorDetailsStamp":"[{\"exceptionClass\":\"RuntimeException\",\"exceptionCode\":7,\"exceptionMessage\":\"boom\",\"flattenException\":null}]",\#
        "X-Message-Stamp-Symfony\\Component\\Messenger\\Stamp\\SentToFailureTransportStamp":"[{\"originalReceiverName\":\"async\"}]",\#
        "X-Message-Stamp-App\\Stamp\\TenantStamp":"[{\"tenant\":\"univ\"}]",\#
        "Content-Type":"application/json"}
        """#)

    @Test("a message Symfony wrote: its body, its type through the type map, and every stamp both sides have")
    func decodesSymfony() throws {
        let envelope = try Self.serializer().decode(Self.written)
        #expect(envelope.message as? SendMail == SendMail(to: ["a@b.c"], subject: "Hi", text: "Hello"))
        #expect(envelope.last(BusNameStamp.self)?.busName == "messenger.bus.default")
        #expect(envelope.last(DelayStamp.self)?.milliseconds == 5000)
        let redelivery = try #require(envelope.last(RedeliveryStamp.self))
        #expect(redelivery.retryCount == 2 && redelivery.redeliveredAt == Date(timeIntervalSince1970: 1_795_880_496))
        let error = try #require(envelope.last(ErrorDetailsStamp.self))
        #expect(error.errorType == "RuntimeException" && error.message == "boom")
        #expect(envelope.last(SentToFailureTransportStamp.self)?.originalTransportName == "async")
        // A stamp of the application's own, unknown here, is kept as written.
        #expect(envelope.all(SymfonyHeaderStamp.self) == [SymfonyHeaderStamp(name: "X-Message-Stamp-App\\Stamp\\TenantStamp", value: #"[{"tenant":"univ"}]"#)])
    }

    @Test("written back, a Symfony message has the same headers, the unknown stamp unchanged; this project's stamps ride in a header of their own")
    func roundTrip() throws {
        let serializer = Self.serializer()
        let envelope = try serializer.decode(Self.written).with(MessageIdStamp("0194-id"), PriorityStamp(3))
        let encoded = try serializer.encode(envelope)
        let headers = try #require(try JSONSerialization.jsonObject(with: Data(encoded.headers.utf8)) as? [String: String])
        let original = try #require(try JSONSerialization.jsonObject(with: Data(Self.written.headers.utf8)) as? [String: String])
        #expect(headers["type"] == "App\\Message\\SendMail" && headers["Content-Type"] == "application/json")
        for name in ["BusNameStamp", "DelayStamp", "SentToFailureTransportStamp"].map({ "X-Message-Stamp-Symfony\\Component\\Messenger\\Stamp\\" + $0 }) {
            #expect(try Self.parsed(headers[name]) == Self.parsed(original[name]), "\(name)")
        }
        #expect(headers["X-Message-Stamp-App\\Stamp\\TenantStamp"] == #"[{"tenant":"univ"}]"#)
        // No X-Message-Stamp- header Symfony would not have the class of (it fails on those).
        #expect(headers.keys.filter { $0.hasPrefix("X-Message-Stamp-") && !$0.contains("\\Stamp\\") }.isEmpty)
        let back = try serializer.decode(encoded)
        #expect(back.last(MessageIdStamp.self)?.id == "0194-id" && back.last(PriorityStamp.self)?.priority == 3)
        #expect(back.last(RedeliveryStamp.self) == envelope.last(RedeliveryStamp.self))
        #expect(back.all(ErrorDetailsStamp.self).count == 1)
        #expect(try JSONSerialization.jsonObject(with: Data(encoded.body.utf8)) as? NSDictionary
                == JSONSerialization.jsonObject(with: Data(Self.written.body.utf8)) as? NSDictionary)
    }

    @Test("error details written here keep where and when in this project's header, and give Symfony its class and message")
    func errorDetails() throws {
        let serializer = Self.serializer()
        let failedAt = Date(timeIntervalSince1970: 1_795_880_000)
        let encoded = try serializer.encode(Envelope(SendMail(to: [], subject: "s", text: "t"),
                                                     stamps: [ErrorDetailsStamp(errorType: "App.MailerError", message: "refused", location: "SendMailHandler", failedAt: failedAt)]))
        let headers = try #require(try JSONSerialization.jsonObject(with: Data(encoded.headers.utf8)) as? [String: String])
        let symfony = try #require(try Self.parsed(headers["X-Message-Stamp-Symfony\\Component\\Messenger\\Stamp\\ErrorDetailsStamp"]) as? [[String: Any]])
        #expect(symfony.first?["exceptionClass"] as? String == "App.MailerError" && symfony.first?["exceptionMessage"] as? String == "refused")
        let back = try serializer.decode(encoded)
        #expect(back.all(ErrorDetailsStamp.self) == [ErrorDetailsStamp(errorType: "App.MailerError", message: "refused", location: "SendMailHandler", failedAt: failedAt)])
    }

    @Test("type map: exact entries first, then the longest namespace prefix, both ways; an unmapped class is an error naming it")
    func typeMap() throws {
        let map = SymfonyTypeMap(["App\\Message\\": "App.", "App\\Message\\Legacy\\": "Legacy.", "App\\Message\\Mail": "App.SendMail"])
        #expect(map.wireName(forClass: "App\\Message\\Mail") == "App.SendMail")
        #expect(map.phpClass(forWireName: "App.SendMail") == "App\\Message\\Mail")
        #expect(map.wireName(forClass: "App\\Message\\Legacy\\Purge") == "Legacy.Purge")
        #expect(map.phpClass(forWireName: "Legacy.Purge") == "App\\Message\\Legacy\\Purge")
        #expect(map.wireName(forClass: "App\\Message\\Archive") == "App.Archive")
        #expect(map.wireName(forClass: "Other\\Thing") == nil)
        var unmapped = Self.written
        unmapped.headers = unmapped.headers.replacingOccurrences(of: #""type":"App\\Message\\SendMail""#, with: #""type":"Vendor\\Gone""#)
        let error = #expect(throws: MessengerError.self) { try Self.serializer().decode(unmapped) }
        #expect(error?.description.contains(#"unknown message type "Vendor\Gone""#) == true)
        // Quarantined, not lost: parked with its text and the reason.
        let parked = Self.serializer().decodeOrQuarantine(unmapped)
        #expect((parked.message as? UndecodableMessage)?.headers == unmapped.headers)
        let noClass = #expect(throws: MessengerError.self) { try Self.serializer([:]).encode(Envelope(SendMail(to: [], subject: "", text: ""))) }
        #expect(noClass?.description.contains("App.SendMail has no PHP class") == true)
    }

    @Test("handled and transport message id stamps both ways, as Symfony writes them for a message it sends to its failure transport")
    func handledAndTransportId() throws {
        let serializer = Self.serializer()
        var written = Self.written
        written.headers = written.headers.replacingOccurrences(of: #""Content-Type""#, with: #"""
            "X-Message-Stamp-Symfony\\Component\\Messenger\\Stamp\\HandledStamp":"[{\"result\":null,\"handlerName\":\"App\\\\Handler\\\\Audit::__invoke\"}]",\#
            "X-Message-Stamp-Symfony\\Component\\Messenger\\Stamp\\TransportMessageIdStamp":"[{\"id\":42}]","Content-Type"
            """#)
        let envelope = try serializer.decode(written)
        #expect(envelope.all(HandledStamp.self).map(\.handlerName) == ["App\\Handler\\Audit::__invoke"])
        #expect(envelope.last(TransportMessageIdStamp.self)?.id == "42")
        let encoded = try serializer.encode(envelope.with(HandledStamp(handlerName: "App.SendMailHandler"), TransportMessageIdStamp("43")))
        let headers = try #require(try JSONSerialization.jsonObject(with: Data(encoded.headers.utf8)) as? [String: String])
        let handled = try #require(try Self.parsed(headers["X-Message-Stamp-Symfony\\Component\\Messenger\\Stamp\\HandledStamp"]) as? [[String: Any]])
        #expect(handled.compactMap { $0["handlerName"] as? String } == ["App\\Handler\\Audit::__invoke", "App.SendMailHandler"])
        #expect(handled.allSatisfy { $0["result"] is NSNull })
        // The id it had last, as Doctrine's integer.
        let ids = try #require(try Self.parsed(headers["X-Message-Stamp-Symfony\\Component\\Messenger\\Stamp\\TransportMessageIdStamp"]) as? [[String: Any]])
        #expect(ids.count == 1 && ids.first?["id"] as? Int == 43)
        #expect(!headers.keys.contains(SymfonySerializer.ownStampsHeader) || !(headers[SymfonySerializer.ownStampsHeader] ?? "").contains("Handled"))
    }

    @Test("a message of an unmapped class, parked here, is written back as Symfony wrote it, with the error and the failure transport's stamps")
    func undecodableWrittenBack() throws {
        let serializer = Self.serializer()
        var unmapped = Self.written
        unmapped.headers = unmapped.headers.replacingOccurrences(of: #""type":"App\\Message\\SendMail""#, with: #""type":"Vendor\\Gone""#)
        let quarantined = serializer.decodeOrQuarantine(unmapped)
        let parked = quarantined.with(ErrorDetailsStamp(errorType: "Messenger.MessengerError", message: "unknown message type \"Vendor\\Gone\"", location: "transport async"),
                                      SentToFailureTransportStamp(originalTransportName: "async"), MessageIdStamp("0194-parked"))
        let encoded = try serializer.encode(parked)
        #expect(encoded.body == unmapped.body)
        let headers = try #require(try JSONSerialization.jsonObject(with: Data(encoded.headers.utf8)) as? [String: String])
        let original = try #require(try JSONSerialization.jsonObject(with: Data(unmapped.headers.utf8)) as? [String: String])
        #expect(headers["type"] == "Vendor\\Gone" && encoded.headers.hasPrefix(#"{"type":"#))
        let prefix = "X-Message-Stamp-Symfony\\Component\\Messenger\\Stamp\\"
        for kept in ["BusNameStamp", "DelayStamp", "RedeliveryStamp"] { #expect(headers[prefix + kept] == original[prefix + kept], "\(kept)") }
        #expect(headers["X-Message-Stamp-App\\Stamp\\TenantStamp"] == original["X-Message-Stamp-App\\Stamp\\TenantStamp"])
        let error = try #require(try Self.parsed(headers[prefix + "ErrorDetailsStamp"]) as? [[String: Any]])
        #expect(error.first?["exceptionMessage"] as? String == "unknown message type \"Vendor\\Gone\"")
        #expect(try Self.parsed(headers[prefix + "SentToFailureTransportStamp"]) as? [[String: String]] == [["originalReceiverName": "async"]])
        #expect(headers[SymfonySerializer.ownStampsHeader]?.contains("0194-parked") == true)
        // Read here again, still undecodable: the same text and the class named.
        let again = serializer.decodeOrQuarantine(encoded)
        #expect((again.message as? UndecodableMessage)?.error.contains("Vendor\\Gone") == true)
    }

    static func parsed(_ text: String?) throws -> NSArray? {
        try text.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? NSArray }
    }
}
