# Packer provisioners that install adjoin in an image and enable its units, joining nothing: every
# instance launched from the image joins at boot as itself. Add them to your own build block (the
# source below is yours). See docs/lifecycle.md, "Golden images".
#
#   packer build -var adjoin_package=dist/adjoin_0.1.0_amd64.deb .
#   packer build -var adjoin_package=dist/adjoin_0.1.0_arm64.deb .      (a Graviton source: an arm64 AMI)

variable "adjoin_package" {
  type        = string
  description = "The adjoin package for the image's distribution and architecture on the machine running Packer: the .deb (Debian, Ubuntu) or the .rpm (Amazon Linux 2023, RHEL 9), amd64/x86_64 or arm64/aarch64 (Graviton) as the source AMI."
}

build {
  sources = ["source.amazon-ebs.base"]

  provisioner "file" {
    source      = var.adjoin_package
    destination = "/tmp/adjoin-package"
  }

  provisioner "shell" {
    execute_command = "chmod +x {{ .Path }}; sudo sh -eu '{{ .Path }}'"
    inline = [
      "if command -v apt-get >/dev/null 2>&1; then mv /tmp/adjoin-package /tmp/adjoin.deb && apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y /tmp/adjoin.deb && rm /tmp/adjoin.deb; else mv /tmp/adjoin-package /tmp/adjoin.rpm && dnf install -y /tmp/adjoin.rpm && rm /tmp/adjoin.rpm; fi",
      # Enabled, not started: the join runs when an instance launched from the image boots.
      "systemctl enable adjoin-join.service adjoin-leave.service adjoin-rotate.timer",
      # The image must carry no join: NOT_JOINED (exit 20) from adjoin status, else leave before it is taken.
      "rc=0; adjoin status --quiet >/dev/null || rc=$?; if [ \"$rc\" -ne 20 ]; then adjoin leave; fi",
    ]
  }
}
