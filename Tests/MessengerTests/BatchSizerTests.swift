import Messenger
import Testing

@Suite("Batch sizer")
struct BatchSizerTests {
    @Test("starts at one, grows at most fourfold per batch while handlers are fast, up to the maximum")
    func grows() {
        var sizer = BatchSizer(maximum: 100)
        #expect(sizer.current == 1)
        var sizes: [Int] = []
        for _ in 0..<5 {
            sizer.record(count: sizer.current, seconds: Double(sizer.current) * 0.0001)
            sizes.append(sizer.current)
        }
        #expect(sizes == [4, 16, 64, 100, 100])
    }

    @Test("falls back at once to what fits the target when handlers turn slow")
    func shrinks() {
        var sizer = BatchSizer(maximum: 100, targetBatchSeconds: 0.2)
        for _ in 0..<4 { sizer.record(count: sizer.current, seconds: 0.0001 * Double(sizer.current)) }
        sizer.record(count: 100, seconds: 5)
        #expect(sizer.current == 4)
        sizer.record(count: 4, seconds: 8)
        #expect(sizer.current == 1)
    }
}
