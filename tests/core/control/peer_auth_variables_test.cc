// Mode 6 view of a keyed association (`server ... key N`): the classic peer
// status bits (auth enabled 0x40, authentic 0x20) that ntpq `as` turns into
// ok/bad/none, flash TEST5, keyid, and the authentication counters (by name).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "core/control/variables.h"

namespace meridian::control {
namespace {

ControlSnapshot snapshot(std::optional<auth::ClientAuthView> auth, uint8_t reach) {
  ControlSnapshot s;
  s.now_s = 100;
  engine::PeerView p;
  p.id = 0;
  p.options.endpoint = {*net::IpAddress::parse("192.0.2.1"), 123};
  if (auth) p.options.key_id = auth->key_id;
  p.state.reach = reach;
  p.auth = auth;
  s.peers.push_back(p);
  return s;
}

std::string value(const std::vector<Variable>& vars, const std::string& name) {
  auto it =
      std::find_if(vars.begin(), vars.end(), [&](const Variable& v) { return v.name == name; });
  return it == vars.end() ? "<absent>" : it->value;
}

unsigned high_byte(const ControlSnapshot& s) { return peer_status(s, s.peers[0]) >> 8; }

TEST(PeerAuthVariables, UnkeyedAssociationLooksAsBefore) {
  const auto s = snapshot(std::nullopt, 0xff);
  EXPECT_EQ(high_byte(s) & 0x40, 0u);  // ntpq as: auth "none"
  const auto vars = peer_variables(s, s.peers[0]);
  EXPECT_EQ(value(vars, "keyid"), "0");
  EXPECT_EQ(value(vars, "flash"), "0x0");
  EXPECT_EQ(value(vars, "badauth"), "<absent>");  // by name only
  const auto auth = peer_auth_variables(s.peers[0]);
  EXPECT_EQ(value(auth, "authenable"), "0");
  EXPECT_EQ(value(auth, "badauth"), "0");
}

TEST(PeerAuthVariables, AuthenticKeyedAssociation) {
  auth::ClientAuthView a;
  a.key_id = 42;
  a.counters.ok = 9;
  a.last = auth::ClientAuth::kOk;
  const auto s = snapshot(a, 0xff);
  EXPECT_EQ(high_byte(s) & 0x60, 0x60u);  // auth enabled + authentic: ntpq as "ok"
  const auto vars = peer_variables(s, s.peers[0]);
  EXPECT_EQ(value(vars, "keyid"), "42");
  EXPECT_EQ(value(vars, "flash"), "0x0");
  EXPECT_EQ(value(vars, "badauth"), "<absent>");  // by name only
  const auto auth = peer_auth_variables(s.peers[0]);
  EXPECT_EQ(value(auth, "authenable"), "1");
  EXPECT_EQ(value(auth, "authentic"), "1");
  EXPECT_EQ(value(auth, "badauth"), "0");
}

TEST(PeerAuthVariables, FailingKeyedAssociationShowsBadAuthEverywhere) {
  auth::ClientAuthView a;
  a.key_id = 42;
  a.counters.unsigned_ = 2;
  a.counters.bad_mac = 3;
  a.counters.crypto_nak = 4;
  a.counters.wrong_key = 5;
  a.counters.not_sent = 6;
  a.last = auth::ClientAuth::kCryptoNak;
  const auto s = snapshot(a, 0);
  EXPECT_EQ(high_byte(s) & 0x60, 0x40u);                             // ntpq as: "bad"
  EXPECT_EQ(peer_status(s, s.peers[0]) & 0xf, kPeerEventBadAuth);    // last event bad_auth
  EXPECT_EQ(value(peer_variables(s, s.peers[0]), "flash"), "0x10");  // TEST5
  const auto vars = peer_auth_variables(s.peers[0]);
  EXPECT_EQ(value(vars, "authentic"), "0");
  EXPECT_EQ(value(vars, "badauth"), "14");
  EXPECT_EQ(value(vars, "auth_nomac"), "2");
  EXPECT_EQ(value(vars, "auth_badmac"), "3");
  EXPECT_EQ(value(vars, "auth_cryptonak"), "4");
  EXPECT_EQ(value(vars, "auth_wrongkey"), "5");
  EXPECT_EQ(value(vars, "auth_notsent"), "6");
}

TEST(PeerAuthVariables, KeyedButNothingHeardYetIsNotFlaggedBad) {
  auth::ClientAuthView a;
  a.key_id = 1;
  const auto s = snapshot(a, 0);
  EXPECT_EQ(high_byte(s) & 0x60, 0x40u);
  EXPECT_EQ(value(peer_variables(s, s.peers[0]), "flash"), "0x0");
  EXPECT_NE(peer_status(s, s.peers[0]) & 0xf, kPeerEventBadAuth);
}

}  // namespace
}  // namespace meridian::control
