import Foundation
import Messenger
import Scheduler
import Testing

@Suite("Where a scheduled message came from")
struct ScheduledOriginTests {
    struct Tick: Message {
        static let messageName = "Test.Tick"
    }

    @Test("a message emitted by a schedule records its schedule, task and occurrence as its origin; one run by hand says so")
    func origin() throws {
        let occurrence = Date(timeIntervalSince1970: 1_800_000_000.5)
        let emitted = Envelope(Tick(), stamps: [MessageIdStamp(), ScheduledStamp(schedule: "default", task: "heartbeat", occurrence: occurrence)])
        #expect(emitted.origin == "schedule:default/heartbeat@1800000000500")
        #expect(RecordedMessage(emitted, options: RecordOptions())?.origin == "schedule:default/heartbeat@1800000000500")
        let byHand = Envelope(Tick(), stamps: [ScheduledStamp(schedule: "default", task: "heartbeat", occurrence: nil), DeduplicateStamp("k")])
        #expect(byHand.origin == "schedule:default/heartbeat@run")
        #expect(Envelope(Tick(), stamps: [DeduplicateStamp("student-42")]).origin == "dedup:student-42")
        #expect(Envelope(Tick()).origin == nil)
    }
}
