// Command images writes the cluster's container images as OCI image-layout tarballs that containerd
// imports without a registry (`ctr -n k8s.io images import FILE`).
//
//	images SPEC OUT_DIR
//
// SPEC is a JSON list of images (see the image type), each one layer: the tree at its rootfs, owned
// by root. Every timestamp is the Unix epoch, so the same inputs give the same bytes and digests.
// OUT_DIR gets NAME-TAG.tar per image, images.json (ref, file, manifest digest, sha256 of the tar)
// and SHA256SUMS. Each tarball is read back and validated before it is reported.
package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

type image struct {
	Ref        string   `json:"ref"` // fully qualified: registry/repository:tag
	Rootfs     string   `json:"rootfs"`
	Entrypoint []string `json:"entrypoint"`
	Cmd        []string `json:"cmd"`
	User       string   `json:"user"`
	// Files (rootfs paths) given cap_net_bind_service=+ep, as `setcap` does upstream: a non-root
	// process keeps a capability across exec only when the file carries it.
	NetBindService []string `json:"netBindService"`
}

type written struct {
	Ref    string `json:"ref"`
	File   string `json:"file"`
	Digest string `json:"digest"`
	Sha256 string `json:"sha256"`
}

var epoch = time.Unix(0, 0).UTC()

const platformOS, platformArch = "linux", "amd64"

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: images SPEC OUT_DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "images:", err)
		os.Exit(1)
	}
}

func run(specFile, out string) error {
	raw, err := os.ReadFile(specFile)
	if err != nil {
		return err
	}
	var spec []image
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fmt.Errorf("%s: %w", specFile, err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var all []written
	var sums strings.Builder
	for _, im := range spec {
		w, err := writeImage(im, out)
		if err != nil {
			return fmt.Errorf("%s: %w", im.Ref, err)
		}
		fmt.Printf("%s\t%s\t%s\n", w.File, w.Digest, w.Ref)
		all = append(all, w)
		fmt.Fprintf(&sums, "%s  %s\n", w.Sha256, w.File)
	}
	list, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "images.json"), append(list, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "SHA256SUMS"), []byte(sums.String()), 0o644)
}

func writeImage(im image, out string) (written, error) {
	tag, err := name.NewTag(im.Ref, name.StrictValidation)
	if err != nil {
		return written{}, err
	}
	if tag.Name() != im.Ref {
		return written{}, fmt.Errorf("not fully qualified (it means %s)", tag.Name())
	}
	img, err := build(im)
	if err != nil {
		return written{}, err
	}
	digest, err := img.Digest()
	if err != nil {
		return written{}, err
	}

	// ggcr's layout writer lays the image out in a folder; the tarball is that folder.
	dir, err := os.MkdirTemp("", "image-layout-")
	if err != nil {
		return written{}, err
	}
	defer os.RemoveAll(dir)
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		return written{}, err
	}
	if err := lp.WriteImage(img); err != nil {
		return written{}, err
	}
	desc, err := partial.Descriptor(img)
	if err != nil {
		return written{}, err
	}
	// ggcr takes the config's media type for an artifact type, which only artifacts carry.
	desc.ArtifactType = ""
	desc.Platform = &v1.Platform{OS: platformOS, Architecture: platformArch}
	desc.Annotations = map[string]string{
		"io.containerd.image.name":          tag.Name(),
		"org.opencontainers.image.ref.name": tag.TagStr(),
	}
	if err := lp.AppendDescriptor(*desc); err != nil {
		return written{}, err
	}
	// Written executable (os.ModePerm) by ggcr; they are data.
	for _, f := range []string{"index.json", "oci-layout"} {
		if err := os.Chmod(filepath.Join(dir, f), 0o644); err != nil {
			return written{}, err
		}
	}
	file := path.Base(tag.RepositoryStr()) + "-" + tag.TagStr() + ".tar"
	var archive bytes.Buffer
	if err := tarTree(&archive, dir, nil); err != nil {
		return written{}, err
	}
	if err := readBack(archive.Bytes(), tag, digest); err != nil {
		return written{}, fmt.Errorf("%s does not read back: %w", file, err)
	}
	if err := os.WriteFile(filepath.Join(out, file), archive.Bytes(), 0o644); err != nil {
		return written{}, err
	}
	sum := sha256.Sum256(archive.Bytes())
	return written{Ref: tag.Name(), File: file, Digest: digest.String(), Sha256: hex.EncodeToString(sum[:])}, nil
}

// build: the empty base, one gzip'ed layer, an OCI manifest and config.
func build(im image) (v1.Image, error) {
	var layerTar bytes.Buffer
	if err := tarTree(&layerTar, im.Rootfs, im.NetBindService); err != nil {
		return nil, err
	}
	content := layerTar.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(content)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{
		Created:      v1.Time{Time: epoch},
		OS:           platformOS,
		Architecture: platformArch,
		Config: v1.Config{
			Entrypoint: im.Entrypoint,
			Cmd:        im.Cmd,
			User:       im.User,
			Env:        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		},
		RootFS: v1.RootFS{Type: "layers"},
	})
	if err != nil {
		return nil, err
	}
	return mutate.Append(img, mutate.Addendum{
		Layer:   layer,
		History: v1.History{Created: v1.Time{Time: epoch}, CreatedBy: "k8s-binary toolchain/images"},
	})
}

// tarTree writes the tree at root as a tar stream, names relative to root, in name order, every
// entry owned by root with the epoch as its time and a mode of 0755 or 0644 (0755 for executables
// and folders, 1777 for sticky folders): the bytes depend on names, contents and symlink targets,
// not on the umask or the clock. Hard links are written as separate files.
func tarTree(w io.Writer, root string, netBindService []string) error {
	caps := map[string]bool{}
	for _, p := range netBindService {
		caps[strings.TrimPrefix(path.Clean(p), "/")] = true
	}
	var names []string
	err := filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, err := filepath.Rel(root, p)
		names = append(names, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		return err
	}
	sort.Strings(names)
	tw := tar.NewWriter(w)
	for _, n := range names {
		p := filepath.Join(root, filepath.FromSlash(n))
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: n, ModTime: epoch, Format: tar.FormatPAX}
		switch {
		case fi.Mode().IsRegular() && fi.Mode()&0o111 != 0:
			hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeReg, 0o755, fi.Size()
		case fi.Mode().IsRegular():
			hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeReg, 0o644, fi.Size()
		case fi.IsDir() && fi.Mode()&fs.ModeSticky != 0:
			hdr.Typeflag, hdr.Mode, hdr.Name = tar.TypeDir, 0o1777, n+"/"
		case fi.IsDir():
			hdr.Typeflag, hdr.Mode, hdr.Name = tar.TypeDir, 0o755, n+"/"
		case fi.Mode()&fs.ModeSymlink != 0:
			hdr.Typeflag, hdr.Mode = tar.TypeSymlink, 0o777
			if hdr.Linkname, err = os.Readlink(p); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: neither file, folder nor symlink", p)
		}
		if caps[n] {
			if hdr.Typeflag != tar.TypeReg {
				return fmt.Errorf("%s: capabilities go on regular files", p)
			}
			hdr.PAXRecords = map[string]string{"SCHILY.xattr.security.capability": string(netBindServiceCap())}
			delete(caps, n)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeReg {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			if err != nil {
				return err
			}
		}
	}
	if len(caps) > 0 {
		return fmt.Errorf("%v: not in %s", caps, root)
	}
	return tw.Close()
}

// netBindServiceCap is the security.capability value `setcap cap_net_bind_service=+ep` writes:
// struct vfs_cap_data, revision 2, effective, CAP_NET_BIND_SERVICE (10) permitted.
func netBindServiceCap() []byte {
	const revision2, effective, capNetBindService = 0x02000000, 0x1, 10
	v := make([]byte, 20)
	binary.LittleEndian.PutUint32(v[0:], revision2|effective)
	binary.LittleEndian.PutUint32(v[4:], 1<<capNetBindService) // permitted, bits 0-31
	return v
}

// readBack unpacks the tarball and reads it with ggcr's layout reader, as an importer would:
// one manifest, named by its annotations, whose blobs all match their digests.
func readBack(archive []byte, tag name.Tag, digest v1.Hash) error {
	dir, err := os.MkdirTemp("", "image-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		p := filepath.Join(dir, filepath.FromSlash(hdr.Name))
		if hdr.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return err
	}
	if err := validate.Index(idx); err != nil {
		return err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	if len(m.Manifests) != 1 {
		return fmt.Errorf("%d manifests, want 1", len(m.Manifests))
	}
	d := m.Manifests[0]
	if d.Digest != digest || d.Annotations["io.containerd.image.name"] != tag.Name() ||
		d.Annotations["org.opencontainers.image.ref.name"] != tag.TagStr() {
		return fmt.Errorf("index.json names %v %s, want %s %s", d.Annotations, d.Digest, tag.Name(), digest)
	}
	return nil
}
