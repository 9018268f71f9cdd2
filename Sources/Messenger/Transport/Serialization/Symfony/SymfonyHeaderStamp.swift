/// A stamp header of a Symfony message that this project has no stamp for (`X-Message-Stamp-<class>`
/// and its JSON text), kept as read so that the message is written back with it unchanged.
public struct SymfonyHeaderStamp: Stamp, Equatable {
    /// The header's name, `X-Message-Stamp-` and the stamp's PHP class.
    public let name: String
    /// The header's value: the JSON array of the stamps of that class, as Symfony wrote it.
    public let value: String

    /// The header `name` with `value`.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
