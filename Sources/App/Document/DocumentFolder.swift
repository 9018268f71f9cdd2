import Crypto
import Foundation

/// Where generated documents are kept: `DOCUMENTS_DIR` (relative to the project), default
/// `var/documents`; one file per (kind, subject, version), written whole or not at all.
public struct DocumentFolder: Sendable {
    public let root: URL

    public init(environment: AppEnvironment) throws {
        let written = try environment.setting("DOCUMENTS_DIR") ?? "var/documents"
        root = written.hasPrefix("/") ? URL(fileURLWithPath: written)
            : URL(fileURLWithPath: environment.projectDirectory).appendingPathComponent(written).standardizedFileURL
    }

    /// `accommodation-certificate/3-v1.pdf`: the path stored in `documents.path`.
    static func relativePath(_ kind: DocumentKind, subject: Int, version: Int) -> String {
        "\(kind.rawValue)/\(subject)-v\(version).pdf"
    }

    /// The file of a path stored in `documents.path`.
    public func url(_ relativePath: String) -> URL { root.appendingPathComponent(relativePath) }

    /// Writes `data` (a temporary file renamed into place: a reader never sees half a document).
    func write(_ data: Data, to relativePath: String) throws {
        let file = url(relativePath)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: file, options: .atomic)
    }

    /// The file's bytes, nil when it is missing.
    func read(_ relativePath: String) -> Data? {
        try? Data(contentsOf: url(relativePath))
    }

    /// `sha256:` and the hex digest.
    static func checksum(_ data: Data) -> String {
        "sha256:" + SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
