// hearth keygen / sign / verify: ed25519 signatures over a store model's manifest and blob.
#include <fmt/format.h>

#include "commands.h"
#include "core/error.h"
#include "store/signing.h"
#include "store_cli.h"

namespace hearth::cli {

void register_signature_commands(CLI::App& app) {
  {
    auto* sub = app.add_subcommand("keygen", "Create an ed25519 signing key (KEYFILE and KEYFILE.pub)");
    auto out = std::make_shared<std::string>();
    sub->add_option("--out", *out, "Secret key file to write (the public key goes to KEYFILE.pub)")->required();
    add_command(app, sub, [=] {
      const auto keys = store::generate_key_pair();
      store::write_key_pair(keys, *out);
      fmt::print("wrote {} and {}.pub (key {})\n", *out, *out, store::key_id(keys.public_key));
      return 0;
    });
  }
  {
    auto* sub = app.add_subcommand("sign", "Sign a store model's manifest and blob digest");
    auto name = std::make_shared<std::string>();
    auto key = std::make_shared<std::string>();
    sub->add_option("name", *name, "NAME[:TAG]")->required();
    sub->add_option("--key", *key, "Secret key file from hearth keygen")->required();
    add_command(app, sub, [=] {
      const auto n = store::parse_model_name(*name);
      const auto keys = store::read_secret_key(*key);
      const store::Store s = store::Store::open_default();
      auto lock = s.lock();
      store::sign_model(s, n, keys);
      fmt::print("signed {} with key {}\n", n.display(), store::key_id(keys.public_key));
      return 0;
    });
  }
  {
    auto* sub = app.add_subcommand("verify", "Check a store model's signature and that its blob is unchanged");
    auto name = std::make_shared<std::string>();
    auto trusted = std::make_shared<std::string>();
    sub->add_option("name", *name, "NAME[:TAG]")->required();
    sub->add_option("--trusted-keys", *trusted, "Directory of trusted *.pub keys (default: any key)");
    add_command(app, sub, [=] {
      const auto n = store::parse_model_name(*name);
      const store::Store s = store::Store::open_default();
      std::optional<std::filesystem::path> dir;
      if (!trusted->empty()) dir = *trusted;
      const auto v = store::verify_model(s, n, dir);
      if (!v.ok) fail("verification failed: {}", v.reason);
      fmt::print("verified: {}\n", v.reason);
      return 0;
    });
  }
}

}  // namespace hearth::cli
