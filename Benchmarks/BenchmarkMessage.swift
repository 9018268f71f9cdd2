import Messenger

/// A message of a typical size (about 150 bytes of JSON), handled by a handler that does nothing.
struct BenchmarkMessage: Message {
    static let messageName = "Benchmark.Message"
    var id: Int
    var recipient: String
    var subject: String

    init(id: Int) {
        self.id = id
        recipient = "student\(id)@univ.example"
        subject = "Your request #\(id) was received and will be reviewed shortly"
    }
}

/// The benchmark's registry: `BenchmarkMessage` with a no-op handler.
func benchmarkRegistry() -> MessageRegistry {
    var registry = MessageRegistry()
    registry.handle(BenchmarkMessage.self, name: "noop") { (_: BenchmarkMessage, _: HandlerContext) in }
    return registry
}
