import Messenger

/// The documents the application generates, each about one subject (a row of its table).
public enum DocumentKind: String, Sendable, Codable, CaseIterable {
    /// A beneficiary's accommodation certificate: the student, their enrollments, requests and avis ESE.
    case accommodationCertificate = "accommodation-certificate"
    /// A campaign's requests, one table row each, over as many pages as they need.
    case campaignSummary = "campaign-summary"

    /// The table its subject is a row of.
    public var subjectTable: String {
        switch self {
        case .accommodationCertificate: "students"
        case .campaignSummary: "campaigns"
        }
    }

    /// Why a subject that does not exist cannot have this document: `no student 42: cannot generate its accommodation-certificate`.
    public func missingSubject(_ subject: Int) -> String {
        "no \(subjectTable.dropLast()) \(subject): cannot generate its \(rawValue)"
    }
}

/// Render a document to PDF under `var/documents`, with its checksum in `documents`. Idempotent per
/// (kind, subject, version): a version already generated is not rendered again, and a second request
/// while one waits is deduplicated. A new version renders the subject's data anew.
public struct GenerateDocument: DeduplicatedMessage, Equatable {
    public static let messageName = "App.GenerateDocument"
    public var kind: DocumentKind
    /// The id of the student (certificate) or campaign (summary).
    public var subject: Int
    public var version: Int

    public init(kind: DocumentKind, subject: Int, version: Int = 1) {
        self.kind = kind
        self.subject = subject
        self.version = version
    }

    public var deduplication: DeduplicateStamp { DeduplicateStamp("document-\(kind.rawValue)-\(subject)-v\(version)") }
}
