import Foundation

/// Who hears of technical errors and how often: `TECHNICAL_CONTACTS` (comma-separated addresses),
/// `TECHNICAL_ERROR_DIGEST_INTERVAL` (seconds between two digests of one fingerprint, default an
/// hour) and `TECHNICAL_ERROR_DIGEST_DELAY` (seconds a first report waits for its repetitions,
/// default a minute).
struct TechnicalErrorSettings {
    var contacts: [String]
    var interval: TimeInterval
    var delay: TimeInterval

    init(environment: AppEnvironment) throws {
        contacts = (try environment.setting("TECHNICAL_CONTACTS") ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        interval = try Self.seconds("TECHNICAL_ERROR_DIGEST_INTERVAL", default: 3600, environment)
        delay = try Self.seconds("TECHNICAL_ERROR_DIGEST_DELAY", default: 60, environment)
    }

    private static func seconds(_ name: String, default value: TimeInterval, _ environment: AppEnvironment) throws -> TimeInterval {
        guard let text = try environment.setting(name) else { return value }
        guard let seconds = TimeInterval(text), seconds >= 0, seconds <= 7 * 86_400 else {
            throw TechnicalErrorSettingError("\(name) must be a number of seconds from 0 to 604800, got \"\(text)\"")
        }
        return seconds
    }
}

/// A technical-error setting that cannot be read.
struct TechnicalErrorSettingError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
