# ufw installed but off, with a rule letting SSH in from anywhere: WL-FW-01 must turn it on,
# WL-FW-02 must replace that rule with rules for carehard_admin_networks only.
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ufw >/dev/null
ufw allow 22/tcp >/dev/null
