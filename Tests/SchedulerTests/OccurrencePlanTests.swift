import Foundation
import Scheduler
import Testing

@Suite("Catch-up planning")
struct OccurrencePlanTests {
    let everyMinute = try! IntervalTrigger(every: 60, from: Date(timeIntervalSince1970: 0))
    let start = Date(timeIntervalSince1970: 1_800_000_000) // 2027-01-15T08:00:00Z, on a whole minute

    func plan(_ policy: CatchUpPolicy, downFor seconds: TimeInterval, grace: Int = 60, maxCatchUp: Int = 100) -> OccurrencePlan {
        OccurrencePlan.make(trigger: everyMinute, checkpoint: start, now: start.addingTimeInterval(seconds), policy: policy, misfireGraceSeconds: grace, maxCatchUp: maxCatchUp)
    }

    @Test("on time: one occurrence a little late is emitted under every policy")
    func onTime() {
        for policy in CatchUpPolicy.allCases {
            let result = plan(policy, downFor: 65)
            #expect(result.emit == [start.addingTimeInterval(60)])
            #expect(result.skipped == 0)
            #expect(result.skipMarker == nil)
            #expect(result.next == start.addingTimeInterval(120))
        }
    }

    @Test("after three hours down: all emits every missed occurrence, last the latest, none nothing")
    func threeHourOutage() {
        let down: TimeInterval = 3 * 3600 + 30 // 180 occurrences, the latest 30 s late
        let all = plan(.all, downFor: down, grace: 0, maxCatchUp: 1000)
        #expect(all.emit.count == 180)
        #expect(all.emit.first == start.addingTimeInterval(60))
        #expect(all.emit.last == start.addingTimeInterval(10_800))
        #expect(all.skipped == 0 && all.skipMarker == nil)

        let last = plan(.last, downFor: down, grace: 0)
        #expect(last.emit == [start.addingTimeInterval(10_800)])
        #expect(last.skipped == 179)
        #expect(last.skipMarker == nil)

        let none = plan(.none, downFor: down, grace: 0)
        #expect(none.emit.isEmpty)
        #expect(none.skipped == 180)
        #expect(none.skipMarker == start.addingTimeInterval(10_800))
    }

    @Test("the misfire grace keeps a late occurrence on time: none still emits it, last does not add an older one")
    func grace() {
        let none = plan(.none, downFor: 3 * 3600 + 30, grace: 60)
        #expect(none.emit == [start.addingTimeInterval(10_800)])
        #expect(none.skipped == 179)
        #expect(none.skipMarker == nil)
        let last = plan(.last, downFor: 3 * 3600 + 30, grace: 60)
        #expect(last.emit == [start.addingTimeInterval(10_800)])
        #expect(last.skipped == 179)
    }

    @Test("all is bounded by max_catch_up: the oldest are skipped, the newest kept")
    func bounded() {
        let result = plan(.all, downFor: 3 * 3600 + 30, grace: 0, maxCatchUp: 10)
        #expect(result.emit.count == 10)
        #expect(result.emit.last == start.addingTimeInterval(10_800))
        #expect(result.skipped == 170)
    }

    @Test("a task idle for longer than the look-back resumes from it without enumerating years")
    func lookBack() {
        let result = plan(.last, downFor: 400 * 86_400, grace: 0)
        #expect(result.lookBackExceeded)
        #expect(result.emit == [start.addingTimeInterval(400 * 86_400)])
    }

    @Test("a trigger that has ended plans nothing more")
    func ended() throws {
        let trigger = try IntervalTrigger(every: 60, from: start, until: start.addingTimeInterval(120))
        let result = OccurrencePlan.make(trigger: trigger, checkpoint: start, now: start.addingTimeInterval(600), policy: .all, misfireGraceSeconds: 0, maxCatchUp: 100)
        #expect(result.emit == [start.addingTimeInterval(60), start.addingTimeInterval(120)])
        #expect(result.next == nil)
    }
}
