{{/* Names, labels and the pieces several templates share. */}}

{{- define "vigia.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "vigia.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "vigia.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vigia.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "vigia.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "vigia.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "vigia.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "vigia.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "vigia.sinkSecretName" -}}
{{- default (printf "%s-sinks" (include "vigia.fullname" .)) .Values.sinkSecrets.existingSecret }}
{{- end }}

{{/* The Secret keys exposed as environment variables, one per line. */}}
{{- define "vigia.sinkSecretKeys" -}}
{{- if .Values.sinkSecrets.existingSecret }}
{{- join "\n" .Values.sinkSecrets.keys }}
{{- else }}
{{- join "\n" (keys .Values.sinkSecrets.values | sortAlpha) }}
{{- end }}
{{- end }}

{{- define "vigia.siteRulesConfigMap" -}}
{{- default (printf "%s-site-rules" (include "vigia.fullname" .)) .Values.rules.site.existingConfigMap }}
{{- end }}

{{/*
Where things live in the container. The site rules get a folder of their own rather than a
place under /etc/vigia: mounts nested in a ConfigMap volume are fragile.
*/}}
{{- define "vigia.path.config" }}/etc/vigia{{ end }}
{{- define "vigia.path.shippedRules" }}/usr/share/vigia/rules{{ end }}
{{- define "vigia.path.siteRules" }}/etc/vigia-site-rules{{ end }}
{{- define "vigia.path.state" }}/var/lib/vigia{{ end }}
{{- define "vigia.path.kafkaCA" }}/etc/vigia-kafka-ca{{ end }}

{{/* The daemon's vigia.yaml: the operator's `config` plus the keys that follow from the pod layout. */}}
{{- define "vigia.config" -}}
{{- $c := deepCopy (.Values.config | default dict) }}
{{- $_ := set $c "http" (dict "listen" "0.0.0.0:9464") }}
{{- $_ = set $c "state_dir" (include "vigia.path.state" .) }}
{{- $paths := list }}
{{- if .Values.rules.shipped }}
{{- $paths = append $paths (include "vigia.path.shippedRules" .) }}
{{- else if not (or .Values.rules.site.files .Values.rules.site.existingConfigMap) }}
{{- fail "rules: with rules.shipped false, give site rules (rules.site.files or rules.site.existingConfigMap): the daemon refuses to start without rules" }}
{{- end }}
{{- $paths = append $paths (include "vigia.path.siteRules" .) }}
{{- $_ = set $c "rules" (dict "paths" $paths) }}
{{- if eq .Values.mode "kafka" }}
{{- $k := .Values.kafka }}
{{- $props := deepCopy ($k.properties | default dict) }}
{{- if $k.bootstrapServersKey }}
{{- $_ = required "kafka.bootstrapServersKey needs kafka.existingSecret, the Secret it is a key of" $k.existingSecret }}
{{- $_ = set $props "bootstrap.servers" (dict "env" "VIGIA_KAFKA_BOOTSTRAP_SERVERS") }}
{{- else }}
{{- $_ = set $props "bootstrap.servers" (required "mode kafka needs kafka.bootstrapServers (or kafka.existingSecret and kafka.bootstrapServersKey)" $k.bootstrapServers) }}
{{- end }}
{{- if $k.securityProtocol }}
{{- $_ = set $props "security.protocol" $k.securityProtocol }}
{{- end }}
{{- if $k.sasl.mechanism }}
{{- $_ = set $props "sasl.mechanisms" $k.sasl.mechanism }}
{{- if $k.sasl.usernameKey }}
{{- $_ = required "kafka.sasl.usernameKey needs kafka.existingSecret" $k.existingSecret }}
{{- $_ = set $props "sasl.username" (dict "env" "VIGIA_KAFKA_USERNAME") }}
{{- else }}
{{- $_ = set $props "sasl.username" (required "kafka.sasl.mechanism needs kafka.sasl.username or kafka.sasl.usernameKey" $k.sasl.username) }}
{{- end }}
{{- $_ = required "kafka.sasl.mechanism needs kafka.sasl.passwordKey, a key of kafka.existingSecret" $k.sasl.passwordKey }}
{{- $_ = required "kafka.sasl.passwordKey needs kafka.existingSecret" $k.existingSecret }}
{{- $_ = set $props "sasl.password" (dict "env" "VIGIA_KAFKA_PASSWORD") }}
{{- end }}
{{- if $k.tls.caSecret }}
{{- $_ = set $props "ssl.ca.location" (printf "%s/%s" (include "vigia.path.kafkaCA" .) $k.tls.caKey) }}
{{- end }}
{{- $bus := dict "kind" "kafka" "kafka" $props "create_topics" $k.createTopics "replication_factor" $k.replicationFactor "group_prefix" $k.groupPrefix }}
{{- if $k.topics }}
{{- $_ = set $bus "topics" $k.topics }}
{{- end }}
{{- $_ = set $c "bus" $bus }}
{{- else }}
{{- $_ = set $c "bus" (dict "kind" "memory" "capacity" .Values.embedded.busCapacity) }}
{{- end }}
{{- toYaml $c }}
{{- end }}

{{/*
One Deployment. Called with a dict: root (the top scope), component (embedded or the role),
role ("" in embedded mode), replicas, resources, persistence, claim (the PVC name or ""),
delivers (whether the pod sends alerts and so needs the receiver secrets).
*/}}
{{- define "vigia.deployment" -}}
{{- $root := .root }}
{{- $v := $root.Values }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ printf "%s-%s" (include "vigia.fullname" $root) .component | trunc 63 | trimSuffix "-" }}
  labels:
    {{- include "vigia.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  replicas: {{ .replicas }}
  {{- if .claim }}
  # A volume's SQLite state belongs to one process at a time: the old pod stops before the new starts.
  strategy:
    type: Recreate
  {{- end }}
  selector:
    matchLabels:
      {{- include "vigia.selectorLabels" $root | nindent 6 }}
      app.kubernetes.io/component: {{ .component }}
  template:
    metadata:
      annotations:
        # The config and the receiver secrets are read once at start: a change rolls the pods.
        # The site rules are not here on purpose: the daemon reloads them in place.
        checksum/config: {{ include "vigia.config" $root | sha256sum }}
        {{- if and .delivers $v.sinkSecrets.values (not $v.sinkSecrets.existingSecret) }}
        checksum/sink-secrets: {{ toJson $v.sinkSecrets.values | sha256sum }}
        {{- end }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      labels:
        {{- include "vigia.selectorLabels" $root | nindent 8 }}
        app.kubernetes.io/component: {{ .component }}
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "vigia.serviceAccountName" $root }}
      # The daemon never talks to the Kubernetes API.
      automountServiceAccountToken: false
      {{- with $v.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $v.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
      containers:
        - name: vigia
          image: "{{ $v.image.repository }}:{{ $v.image.tag | default $root.Chart.AppVersion }}"
          imagePullPolicy: {{ $v.image.pullPolicy }}
          command: [/usr/bin/vigia]
          args:
            - run
            - --config
            - {{ include "vigia.path.config" $root }}/vigia.yaml
            {{- if .role }}
            - --role
            - {{ .role }}
            {{- end }}
          ports:
            - name: metrics
              containerPort: 9464
              protocol: TCP
          {{- $env := list }}
          {{- if eq $v.mode "kafka" }}
          {{- $k := $v.kafka }}
          {{- if $k.bootstrapServersKey }}
          {{- $env = append $env (dict "name" "VIGIA_KAFKA_BOOTSTRAP_SERVERS" "key" $k.bootstrapServersKey "secret" $k.existingSecret) }}
          {{- end }}
          {{- if and $k.sasl.mechanism $k.sasl.usernameKey }}
          {{- $env = append $env (dict "name" "VIGIA_KAFKA_USERNAME" "key" $k.sasl.usernameKey "secret" $k.existingSecret) }}
          {{- end }}
          {{- if $k.sasl.mechanism }}
          {{- $env = append $env (dict "name" "VIGIA_KAFKA_PASSWORD" "key" $k.sasl.passwordKey "secret" $k.existingSecret) }}
          {{- end }}
          {{- end }}
          {{- if .delivers }}
          {{- range splitList "\n" (include "vigia.sinkSecretKeys" $root) }}
          {{- if . }}
          {{- $env = append $env (dict "name" . "key" . "secret" (include "vigia.sinkSecretName" $root)) }}
          {{- end }}
          {{- end }}
          {{- end }}
          {{- if or $env $v.extraEnv }}
          env:
            {{- range $env }}
            - name: {{ .name }}
              valueFrom:
                secretKeyRef:
                  name: {{ .secret }}
                  key: {{ .key | quote }}
            {{- end }}
            {{- with $v.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- end }}
          startupProbe:
            httpGet: {path: /healthz, port: metrics}
            {{- toYaml $v.probes.startup | nindent 12 }}
          livenessProbe:
            httpGet: {path: /healthz, port: metrics}
            {{- toYaml $v.probes.liveness | nindent 12 }}
          readinessProbe:
            httpGet: {path: /readyz, port: metrics}
            {{- toYaml $v.probes.readiness | nindent 12 }}
          {{- with .resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          securityContext:
            {{- toYaml $v.securityContext | nindent 12 }}
          volumeMounts:
            - name: config
              mountPath: {{ include "vigia.path.config" $root }}
              readOnly: true
            # A whole-folder mount (never subPath): the kubelet swaps the ConfigMap's ..data link
            # on a change, and the daemon's watch on this folder turns that into a rule reload.
            - name: site-rules
              mountPath: {{ include "vigia.path.siteRules" $root }}
              readOnly: true
            - name: state
              mountPath: {{ include "vigia.path.state" $root }}
            # The root filesystem is read-only; libraries that want a scratch file get /tmp.
            - name: tmp
              mountPath: /tmp
            {{- if and (eq $v.mode "kafka") $v.kafka.tls.caSecret }}
            - name: kafka-ca
              mountPath: {{ include "vigia.path.kafkaCA" $root }}
              readOnly: true
            {{- end }}
      volumes:
        - name: config
          configMap:
            name: {{ include "vigia.fullname" $root }}-config
        - name: site-rules
          configMap:
            name: {{ include "vigia.siteRulesConfigMap" $root }}
        - name: state
          {{- if .claim }}
          persistentVolumeClaim:
            claimName: {{ .claim }}
          {{- else }}
          emptyDir: {}
          {{- end }}
        - name: tmp
          emptyDir: {}
        {{- if and (eq $v.mode "kafka") $v.kafka.tls.caSecret }}
        - name: kafka-ca
          secret:
            secretName: {{ $v.kafka.tls.caSecret }}
        {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}

{{/* A PersistentVolumeClaim for a state_dir. Called with a dict: root, name, persistence, component. */}}
{{- define "vigia.pvc" -}}
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {{ .name }}
  labels:
    {{- include "vigia.labels" .root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  accessModes:
    {{- toYaml .persistence.accessModes | nindent 4 }}
  {{- if .persistence.storageClass }}
  storageClassName: {{ .persistence.storageClass | quote }}
  {{- end }}
  resources:
    requests:
      storage: {{ .persistence.size }}
{{- end }}
