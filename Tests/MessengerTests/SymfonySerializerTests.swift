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

    static func parsed(_ text: String?) throws -> NSArray? {
        try text.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? NSArray }
    }
}
