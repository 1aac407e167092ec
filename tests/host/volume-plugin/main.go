// A managed Docker volume plugin for the host tests: each volume is a tmpfs the plugin mounts in its
// propagated mount, with an 8 MiB file in it, the way NFS, sshfs or block-device plugins mount remote
// storage there. Standard library only (it builds offline); tests/host/harness.ts builds it, and
// installVolumePlugin creates and enables it on a sandbox host from config.json beside this file.
package main

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// volumesDir is config.json's propagatedMount: what the plugin mounts below it appears on the host below
// <data-root>/plugins/<id>/propagated-mount.
const volumesDir = "/mnt/volumes"

// remoteFile stands for the remote storage's contents: a data-root move must never copy it.
const remoteFile = "remote-data"

// stoppingMark is written in volumesDir on SIGTERM when EXIT_DELAY is set.
const stoppingMark = "stopping"

type request struct {
	Name string
}

func reply(w http.ResponseWriter, body map[string]any) {
	w.Header().Set("Content-Type", "application/vnd.docker.plugins.v1.2+json")
	_ = json.NewEncoder(w).Encode(body)
}

// volumeHandler decodes the volume's name and answers with what handle returns.
func volumeHandler(handle func(dir string) map[string]any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req request
		_ = json.NewDecoder(r.Body).Decode(&req)
		reply(w, handle(filepath.Join(volumesDir, filepath.Base(req.Name))))
	}
}

func mount(dir string) map[string]any {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return map[string]any{"Err": err.Error()}
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64m"); err != nil {
		return map[string]any{"Err": err.Error()}
	}
	if err := os.WriteFile(filepath.Join(dir, remoteFile), make([]byte, 8<<20), 0o644); err != nil {
		return map[string]any{"Err": err.Error()}
	}
	return map[string]any{"Mountpoint": dir}
}

func main() {
	// PID 1 of its container: without a handler SIGTERM is ignored, and dockerd would wait 10 s to kill it.
	// EXIT_DELAY (config.json; `docker plugin set`) keeps it serving that many seconds after SIGTERM, as a
	// plugin unmounting remote storage may, and marks the SIGTERM in its propagated mount for the tests.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		if delay, _ := strconv.Atoi(os.Getenv("EXIT_DELAY")); delay > 0 {
			_ = os.WriteFile(filepath.Join(volumesDir, stoppingMark), nil, 0o644)
			time.Sleep(time.Duration(delay) * time.Second)
		}
		os.Exit(0)
	}()

	mux := http.NewServeMux()
	mux.HandleFunc("/Plugin.Activate", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, map[string]any{"Implements": []string{"VolumeDriver"}})
	})
	mux.HandleFunc("/VolumeDriver.Capabilities", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, map[string]any{"Capabilities": map[string]string{"Scope": "local"}})
	})
	mux.HandleFunc("/VolumeDriver.Create", volumeHandler(func(string) map[string]any { return map[string]any{} }))
	mux.HandleFunc("/VolumeDriver.Remove", volumeHandler(func(string) map[string]any { return map[string]any{} }))
	mux.HandleFunc("/VolumeDriver.List", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, map[string]any{"Volumes": []any{}})
	})
	mux.HandleFunc("/VolumeDriver.Get", volumeHandler(func(dir string) map[string]any {
		return map[string]any{"Volume": map[string]string{"Name": filepath.Base(dir), "Mountpoint": dir}}
	}))
	mux.HandleFunc("/VolumeDriver.Path", volumeHandler(func(dir string) map[string]any { return map[string]any{"Mountpoint": dir} }))
	mux.HandleFunc("/VolumeDriver.Mount", volumeHandler(mount))
	mux.HandleFunc("/VolumeDriver.Unmount", volumeHandler(func(dir string) map[string]any {
		// EINVAL: not mounted (nothing to undo).
		if err := syscall.Unmount(dir, 0); err != nil && err != syscall.EINVAL {
			return map[string]any{"Err": err.Error()}
		}
		return map[string]any{}
	}))

	if err := os.MkdirAll("/run/docker/plugins", 0o755); err != nil {
		panic(err)
	}
	listener, err := net.Listen("unix", "/run/docker/plugins/tmpfs.sock")
	if err != nil {
		panic(err)
	}
	panic(http.Serve(listener, mux))
}
