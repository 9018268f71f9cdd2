import Foundation

/// `file://DIR`: each mail becomes one RFC 5322 `.eml` file in a folder (the development default).
public struct FileMailer: Mailer {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    public func send(_ email: Email) async throws -> String {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let id = UUID().uuidString
            let stamp = Int64(Date().timeIntervalSince1970 * 1000)
            let path = URL(fileURLWithPath: directory).appendingPathComponent("\(stamp)-\(id).eml").path
            try Data(EmailRenderer.render(email, messageId: id).utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            return path
        } catch {
            throw MailerTransientError("cannot write the mail into \(directory): \(error.localizedDescription)")
        }
    }
}
