/// A configuration mistake: the file, the line when known, the key path, and what is wrong.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let line: Int?
    /// The dotted path of the offending key, e.g. `messenger.routing.App.SendMail`.
    public let key: String?
    public let message: String

    public init(file: String, line: Int? = nil, key: String? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        guard let key else { return "\(location): \(message)" }
        return "\(location): \(key): \(message)"
    }
}
