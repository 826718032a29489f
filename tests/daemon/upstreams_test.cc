// Upstreams: server/pool lines → client engine associations, reload diffing,
// lookups with back-off, pool upkeep.
#include "daemon/upstreams.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/random.h"
#include "core/server/answer.h"

namespace meridian::daemon {
namespace {

using engine::Action;

const time::NtpTime kClock = time::NtpTime::from_unix({1'800'000'000, 0});

config::AssociationConfig line(std::string host, int file_line,
                               config::AssociationKind kind = config::AssociationKind::kServer) {
  config::AssociationConfig c;
  c.kind = kind;
  c.host = std::move(host);
  c.iburst = true;
  c.where = {"ntp.conf", file_line};
  return c;
}

net::IpAddress v4(uint8_t last) { return net::IpAddress::v4({192, 0, 2, last}); }

class UpstreamsTest : public ::testing::Test {
 protected:
  UpstreamsTest()
      : random_(3), engine_(engine::ClientConfig{}, random_, 0), log_("", true, 0), up_({}, log_) {}

  std::vector<std::string> endpoints() {
    std::vector<std::string> out;
    for (const auto& p : engine_.peers(now_)) out.push_back(p.options.endpoint.to_string());
    return out;
  }
  UpstreamChanges configure(const std::vector<config::AssociationConfig>& lines) {
    std::vector<Action> out;
    return up_.configure(lines, engine_, now_, kClock, out);
  }

  SeededRandom random_;
  engine::ClientEngine engine_;
  Logger log_;
  Upstreams up_;
  double now_ = 0;
};

TEST_F(UpstreamsTest, LiteralsNeedNoLookupNamesDo) {
  configure({line("192.0.2.1", 1), line("2001:db8::1", 2), line("ntp.example", 3)});
  EXPECT_EQ(endpoints(), (std::vector<std::string>{"192.0.2.1:123", "[2001:db8::1]:123"}));
  const auto lookups = up_.take_lookups(now_);
  ASSERT_EQ(lookups.size(), 1u);
  EXPECT_EQ(lookups[0].host, "ntp.example");
  EXPECT_TRUE(up_.take_lookups(now_).empty());  // handed out once
  EXPECT_EQ(up_.unresolved(), 1u);
  up_.on_resolved(lookups[0].token, std::vector<net::IpAddress>{v4(9), v4(10)}, engine_, now_);
  // A `server` name takes its first address only.
  EXPECT_EQ(endpoints().back(), "192.0.2.9:123");
  EXPECT_EQ(engine_.live_count(), 3u);
  EXPECT_EQ(up_.unresolved(), 0u);
}

TEST_F(UpstreamsTest, ReloadKeepsUnchangedLinesAndTheirIds) {
  configure({line("192.0.2.1", 1), line("192.0.2.2", 2)});
  const auto before = engine_.peers(now_);
  auto moved = line("192.0.2.2", 7);  // same line, new position
  auto changed = line("192.0.2.1", 8);
  changed.prefer = true;  // an option changed: a new association
  const auto c = configure({moved, changed, line("192.0.2.3", 9)});
  EXPECT_EQ(c.kept, 1);
  EXPECT_EQ(c.added, 2);
  EXPECT_EQ(c.removed, 1);
  const auto after = engine_.peers(now_);
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[0].id, before[1].id);  // 192.0.2.2 kept its association
  EXPECT_EQ(after[0].options.endpoint.to_string(), "192.0.2.2:123");
  EXPECT_GT(after[1].id, before[1].id);  // new ids, never reused
  EXPECT_TRUE(after[1].options.prefer);
}

TEST_F(UpstreamsTest, FailedLookupsBackOff) {
  configure({line("ntp.example", 1)});
  auto l = up_.take_lookups(now_);
  ASSERT_EQ(l.size(), 1u);
  up_.on_resolved(l[0].token, make_error(ErrorCode::kUnavailable, "NXDOMAIN"), engine_, now_);
  EXPECT_DOUBLE_EQ(up_.next_lookup_s(), 60);
  EXPECT_TRUE(up_.take_lookups(59).empty());
  l = up_.take_lookups(60);
  ASSERT_EQ(l.size(), 1u);
  up_.on_resolved(l[0].token, make_error(ErrorCode::kUnavailable, "NXDOMAIN"), engine_, 60);
  EXPECT_DOUBLE_EQ(up_.next_lookup_s(), 180);  // doubled
  // A stale answer (its line was removed by a reload) is ignored.
  configure({});
  up_.on_resolved(l[0].token, std::vector<net::IpAddress>{v4(1)}, engine_, 61);
  EXPECT_EQ(engine_.live_count(), 0u);
}

TEST_F(UpstreamsTest, PoolFillsToMaxclockAndReplacesUnreachableMembers) {
  up_.set_maxclock(4);
  auto pool = line("pool.example", 1, config::AssociationKind::kPool);
  pool.minpoll = 3;
  pool.maxpoll = 3;
  configure({pool});
  auto l = up_.take_lookups(now_);
  ASSERT_EQ(l.size(), 1u);
  up_.on_resolved(l[0].token, std::vector<net::IpAddress>{v4(1), v4(2), v4(3)}, engine_, now_);
  EXPECT_EQ(engine_.live_count(), 3u);
  // Short of maxclock: it asks again a minute later, and takes only new addresses.
  EXPECT_TRUE(up_.take_lookups(30).empty());
  l = up_.take_lookups(60);
  ASSERT_EQ(l.size(), 1u);
  up_.on_resolved(l[0].token, std::vector<net::IpAddress>{v4(2), v4(4), v4(5)}, engine_, 60);
  EXPECT_EQ(engine_.live_count(), 4u);
  // Nobody answers: after 8 unanswered polls every member is replaced.
  std::vector<Action> out;
  for (now_ = 60; now_ < 300; now_ += 1) {
    engine_.on_timer(now_, kClock, out);
    up_.maintain(engine_, now_, kClock, out);
  }
  EXPECT_EQ(engine_.live_count(), 0u);
  l = up_.take_lookups(now_);
  ASSERT_EQ(l.size(), 1u);
  up_.on_resolved(l[0].token, std::vector<net::IpAddress>{v4(6), v4(1)}, engine_, now_);
  const auto eps = endpoints();
  EXPECT_EQ(eps, (std::vector<std::string>{"192.0.2.6:123"}));  // not the dropped 192.0.2.1
}

TEST_F(UpstreamsTest, SameLineIgnoresOnlyThePosition) {
  auto a = line("h", 1);
  auto b = line("h", 2);
  EXPECT_TRUE(same_association_line(a, b));
  b.minpoll = 4;
  EXPECT_FALSE(same_association_line(a, b));
  b = line("h", 3, config::AssociationKind::kPool);
  EXPECT_FALSE(same_association_line(a, b));
}

// A pool name with fewer addresses than maxclock, every member answering,
// for an hour: each address is one association from start to end (no
// duplicates that never get a sample, go unreachable and come back with a
// new iburst), and DNS is asked less and less often.
TEST_F(UpstreamsTest, ASmallPoolKeepsItsMembersForAnHourWithoutChurn) {
  configure({line("pool.example", 1, config::AssociationKind::kPool)});  // maxclock 10
  const std::vector<net::IpAddress> answer = {v4(1), v4(2), v4(3)};
  std::map<size_t, int> requests;  // association id → requests sent
  int lookups = 0;
  const auto clock = [](double t) { return kClock + time::NtpDuration::from_seconds(t); };
  for (now_ = 0; now_ < 3600; now_ += 0.5) {
    for (const auto& l : up_.take_lookups(now_)) {
      ++lookups;
      up_.on_resolved(l.token, answer, engine_, now_);
    }
    std::vector<Action> out;
    up_.maintain(engine_, now_, clock(now_), out);
    engine_.on_timer(now_, clock(now_), out);
    for (const auto& a : out) {
      const auto* send = std::get_if<engine::SendRequest>(&a);
      if (send == nullptr) continue;
      ++requests[send->association];
      // Every server answers at once, as a stratum-1 server would.
      const auto request = wire::parse_header(send->bytes);
      ASSERT_TRUE(request.ok());
      const auto t = clock(now_ + 0.001);
      const auto view = server::local_clock_view(1, wire::kiss_code("GPS\0"), -20, t);
      const auto reply = server::answer_request(*request, server::Admission{}, view, t, t, false);
      std::vector<Action> more;
      EXPECT_TRUE(engine_.on_reply(send->association, send->to,
                                   server::serialize_reply(reply.header), t, now_ + 0.001, more));
    }
  }
  EXPECT_EQ(requests.size(), 3u);  // three associations ever, not re-added ones
  EXPECT_EQ(engine_.live_count(), 3u);
  std::set<std::string> eps;
  for (const auto& e : endpoints()) eps.insert(e);
  EXPECT_EQ(eps, (std::set<std::string>{"192.0.2.1:123", "192.0.2.2:123", "192.0.2.3:123"}));
  for (const auto& p : engine_.peers(now_)) EXPECT_EQ(p.state.reach, 0xff) << p.id;
  // One iburst each (a handful of fast requests), then polls of 64 s and
  // longer: well under 6 + 3600/64 requests per association.
  for (const auto& [id, n] : requests) EXPECT_LE(n, 6 + 57) << id;
  // Asked at 0, 1, 3, 7, 15 and 31 min (back-off), not every minute.
  EXPECT_LE(lookups, 8);
  EXPECT_GE(lookups, 2);
}

TEST_F(UpstreamsTest, AnAddressIsOneAssociationWhicheverLinesNameIt) {
  auto with_prefer = line("192.0.2.1", 2);
  with_prefer.prefer = true;
  configure({line("192.0.2.1", 1), with_prefer});
  EXPECT_EQ(endpoints(), (std::vector<std::string>{"192.0.2.1:123"}));
  // A pool answer that includes it, or a pool member twice: still one each.
  configure({line("192.0.2.1", 1), line("pool.example", 3, config::AssociationKind::kPool)});
  const auto l = up_.take_lookups(now_);
  ASSERT_EQ(l.size(), 1u);
  up_.on_resolved(l[0].token, std::vector<net::IpAddress>{v4(1), v4(2), v4(2)}, engine_, now_);
  EXPECT_EQ(endpoints(), (std::vector<std::string>{"192.0.2.1:123", "192.0.2.2:123"}));
}

}  // namespace
}  // namespace meridian::daemon
