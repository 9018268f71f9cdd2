import Foundation
import Messenger

/// A technical error the application met (a web request, a worker, a parked message): where, what,
/// and a fingerprint that groups its repetitions. Stored grouped by fingerprint; the technical
/// contacts get a digest at most once per fingerprint per `TECHNICAL_ERROR_DIGEST_INTERVAL`.
public struct ReportTechnicalError: Message, Equatable {
    public static let messageName = "App.ReportTechnicalError"
    /// Where it happened: `web POST /api/requests`, `worker async`, …
    public var source: String
    /// What happened, for the technical contacts (never shown to a student).
    public var message: String
    /// Groups repetitions; by default from the source and the message with its numbers blanked.
    public var fingerprint: String?

    public init(source: String, message: String, fingerprint: String? = nil) {
        self.source = source
        self.message = message
        self.fingerprint = fingerprint
    }

    /// The fingerprint given, or the one made from the source and the message.
    public var effectiveFingerprint: String { fingerprint ?? Self.fingerprint(source: source, message: message) }

    /// 16 hex digits of FNV-1a over the source and the message with every run of digits as `#`, so
    /// that `timeout after 1234 ms` and `timeout after 987 ms` group together.
    public static func fingerprint(source: String, message: String) -> String {
        var normalized = source + "\n"
        var inDigits = false
        for character in message {
            if character.isNumber {
                if !inDigits { normalized.append("#") }
                inDigits = true
            } else {
                normalized.append(character)
                inDigits = false
            }
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in normalized.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(format: "%016llx", hash)
    }
}

/// Mails the technical contacts what a fingerprint's errors did since its last digest. One waits per
/// fingerprint (deduplicated); it runs a minute after the first report, or an interval after the
/// previous digest.
public struct SendTechnicalErrorDigest: DeduplicatedMessage, Equatable {
    public static let messageName = "App.SendTechnicalErrorDigest"
    public var fingerprint: String

    public init(fingerprint: String) { self.fingerprint = fingerprint }

    public var deduplication: DeduplicateStamp { DeduplicateStamp("error-digest-\(fingerprint)") }
}
