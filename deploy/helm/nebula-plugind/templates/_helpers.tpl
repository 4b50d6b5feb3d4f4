{{/*
Shared pieces of the nebula-plugind chart: the name prefix (release and
layout, so that both layouts can live in one namespace), the labels, the
daemon's configuration file and the Deployment of one pod shape.
*/}}

{{- define "nebula-plugind.prefix" -}}
{{- if not (has .Values.layout (list "all" "per-plugin")) -}}
{{- fail (printf "layout must be all or per-plugin, not %v" .Values.layout) -}}
{{- end -}}
{{- printf "%s-%s" .Release.Name .Values.layout | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "nebula-plugind.labels" -}}
app.kubernetes.io/name: nebula-plugind
app.kubernetes.io/instance: {{ include "nebula-plugind.prefix" .root }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "nebula-plugind.selector" -}}
app.kubernetes.io/name: nebula-plugind
app.kubernetes.io/instance: {{ include "nebula-plugind.prefix" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The daemon's nebula-plugind.yaml: every enabled plugin. */}}
{{- define "nebula-plugind.config" -}}
listen: 0.0.0.0:{{ .Values.port }}
{{- if .Values.auth.tokensSecret }}
auth:
  tokens_file: /var/run/secrets/nebula/api/tokens
  metrics_public: {{ .Values.auth.metricsPublic }}
{{- end }}
{{- if .Values.ridKeySecret }}
resource_id_key_file: /var/run/secrets/nebula/rid/key
{{- end }}
drain_delay: {{ .Values.drainDelay }}
plugins:
{{- range $name, $p := .Values.plugins }}
{{- if $p.enabled }}
  - name: {{ $name }}
    command: {{ toJson $p.command }}
    instances: {{ $p.instances | default 1 }}
    {{- with $p.concurrency }}
    concurrency: {{ . }}
    {{- end }}
    {{- $img := ternary $p.image $.Values.all.image (eq $.Values.layout "per-plugin") }}
    image: {{ printf "%s:%s" $img.repository $img.tag }}
    {{- with $p.env }}
    env:
      {{- toYaml . | nindent 6 }}
    {{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
One Deployment: root, name, component, image, replicas, resources, only
(the -p plugin, or "" for all) and optional (whether plugin Secrets may be
missing).
*/}}
{{- define "nebula-plugind.deployment" -}}
{{- $v := .root.Values -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .name }}
  labels:
    {{- include "nebula-plugind.labels" . | nindent 4 }}
spec:
  replicas: {{ .replicas }}
  selector:
    matchLabels:
      {{- include "nebula-plugind.selector" . | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 0, maxSurge: 1}
  template:
    metadata:
      labels:
        {{- include "nebula-plugind.selector" . | nindent 8 }}
      annotations:
        # A new configuration rolls the pods.
        checksum/config: {{ include "nebula-plugind.config" .root | sha256sum }}
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ $v.port | quote }}
        prometheus.io/path: /metrics
    spec:
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
        fsGroup: 10001
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: nebula-plugind
          image: {{ printf "%s:%s" .image.repository .image.tag }}
          imagePullPolicy: {{ .image.pullPolicy | default "IfNotPresent" }}
          args:
            - "-c"
            - /etc/nebula/nebula-plugind.yaml
            {{- if .only }}
            - "-p"
            - {{ .only }}
            {{- end }}
          ports:
            - {name: http, containerPort: {{ $v.port }}, protocol: TCP}
          {{- if and (not .only) (eq $v.all.readiness "daemon") }}
          startupProbe:
            httpGet: {path: /readyz, port: http}
            periodSeconds: 2
            failureThreshold: 60
          readinessProbe:
            httpGet: {path: /healthz, port: http}
            periodSeconds: 5
            failureThreshold: 1
          {{- else }}
          readinessProbe:
            httpGet: {path: /readyz, port: http}
            periodSeconds: 5
            failureThreshold: 1
          {{- end }}
          livenessProbe:
            httpGet: {path: /healthz, port: http}
            initialDelaySeconds: 5
            periodSeconds: 10
            failureThreshold: 3
          resources:
            {{- toYaml .resources | nindent 12 }}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
          volumeMounts:
            - {name: config, mountPath: /etc/nebula, readOnly: true}
            {{- if $v.auth.tokensSecret }}
            - {name: api-tokens, mountPath: /var/run/secrets/nebula/api, readOnly: true}
            {{- end }}
            {{- if $v.ridKeySecret }}
            - {name: rid-key, mountPath: /var/run/secrets/nebula/rid, readOnly: true}
            {{- end }}
            {{- range $name, $p := $v.plugins }}
            {{- if and $p.enabled $p.secret (or (not $.only) (eq $.only $name)) }}
            - {name: {{ $name }}, mountPath: /var/run/secrets/nebula/{{ $name }}, readOnly: true}
            {{- end }}
            {{- end }}
      volumes:
        - name: config
          configMap: {name: {{ include "nebula-plugind.prefix" .root }}-config}
        {{- if $v.auth.tokensSecret }}
        - name: api-tokens
          secret: {secretName: {{ $v.auth.tokensSecret }}, defaultMode: 0440}
        {{- end }}
        {{- if $v.ridKeySecret }}
        - name: rid-key
          secret: {secretName: {{ $v.ridKeySecret }}, defaultMode: 0440}
        {{- end }}
        {{- range $name, $p := $v.plugins }}
        {{- if and $p.enabled $p.secret (or (not $.only) (eq $.only $name)) }}
        - name: {{ $name }}
          secret: {secretName: {{ $p.secret }}, defaultMode: 0440, optional: {{ not $.only }}}
        {{- end }}
        {{- end }}
{{- end -}}

{{/* One Service and, when enabled, its HPA: root, name, component, hpa. */}}
{{- define "nebula-plugind.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ .name }}
  labels:
    {{- include "nebula-plugind.labels" . | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "nebula-plugind.selector" . | nindent 4 }}
  ports:
    - {name: http, port: {{ .root.Values.port }}, targetPort: http, protocol: TCP}
{{- if .hpa.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ .name }}
  labels:
    {{- include "nebula-plugind.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ .name }}
  minReplicas: {{ .hpa.minReplicas }}
  maxReplicas: {{ .hpa.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target: {type: Utilization, averageUtilization: {{ .hpa.cpuUtilization }}}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 300
{{- end }}
{{- end -}}
